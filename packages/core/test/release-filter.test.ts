import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConfigError, InvalidInputError } from '../src/errors.js';
import { normalizeProjectName } from '../src/release/project-name.js';
import { loadAllowFile, ReleaseFilter } from '../src/release/release-filter.js';

const TOP_NAMES_FILE = '/work/shared/data/pypi-top-100k.txt';

let dir: string;
let topNames: string[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pypi-watch-filter-'));
  topNames = (await readFile(TOP_NAMES_FILE, 'utf8')).split('\n').filter((line) => line !== '');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const release = (normalized: string, isPrerelease = false) => ({ normalized, isPrerelease });

describe('ReleaseFilter', () => {
  test('drops prereleases unless allowed', () => {
    expect(new ReleaseFilter({ prereleases: false, deny: [], allow: [] }).check(release('numpy', true))).toEqual({
      ok: false,
      rule: 'prerelease',
    });
    expect(new ReleaseFilter({ prereleases: true, deny: [], allow: [] }).check(release('numpy', true))).toEqual({ ok: true });
    expect(new ReleaseFilter({ prereleases: false, deny: [], allow: [] }).check(release('numpy'))).toEqual({ ok: true });
  });

  test('deny names the pattern that matched; allow (when given) must match', () => {
    const filter = new ReleaseFilter({ prereleases: false, deny: ['^types-', '-stubs$'], allow: ['^django', '^flask'] });
    expect(filter.check(release('types-requests'))).toEqual({ ok: false, rule: 'deny:^types-' });
    expect(filter.check(release('django-stubs'))).toEqual({ ok: false, rule: 'deny:-stubs$' });
    expect(filter.check(release('requests'))).toEqual({ ok: false, rule: 'allow' });
    expect(filter.check(release('django-rest-framework'))).toEqual({ ok: true });
  });

  test('over the real top 100k names, deny drops exactly the matching ones', () => {
    const filter = new ReleaseFilter({ prereleases: false, deny: ['^types-', '^mypy-boto3-'], allow: [] });
    const normalized = topNames.map(normalizeProjectName);
    const dropped = normalized.filter((name) => !filter.check(release(name)).ok);
    const expected = normalized.filter((name) => name.startsWith('types-') || name.startsWith('mypy-boto3-'));
    expect(expected.length).toBeGreaterThan(100);
    expect(dropped).toEqual(expected);
  });

  test('an invalid pattern is a ConfigError naming it', () => {
    expect(() => new ReleaseFilter({ prereleases: false, deny: ['ok', '^types-('], allow: [] })).toThrow(ConfigError);
    expect(() => new ReleaseFilter({ prereleases: false, deny: [], allow: ['[z-a]'] })).toThrow(
      /filters\.allow\[0\]: `\[z-a\]` is not a valid regular expression/,
    );
  });

  test('allowNames (from an allow file) must contain the normalized name', () => {
    const filter = new ReleaseFilter({ prereleases: true, deny: [], allow: [], allowNames: new Set(['requests', 'zope-interface']) });
    expect(filter.check(release('zope-interface'))).toEqual({ ok: true });
    expect(filter.check(release('numpy'))).toEqual({ ok: false, rule: 'allowFile' });
  });
});

describe('loadAllowFile', () => {
  test('loads the real top 100k names, normalized, ignoring comments, blanks and extra words', async () => {
    const lines = topNames.map((name, index) =>
      index % 1000 === 0 ? `${name}   # popular` : index % 777 === 0 ? `${name} extra words` : name,
    );
    const path = join(dir, 'top.txt');
    await writeFile(path, `# the PyPI top 100k\n\n${lines.join('\n')}\r\n   \n`);
    const names = await loadAllowFile(path);
    expect(names).toEqual(new Set(topNames.map(normalizeProjectName)));
    expect(names.size).toBeGreaterThan(99_000);
    const filter = new ReleaseFilter({ prereleases: false, deny: [], allow: [], allowNames: names });
    expect(filter.check(release('requests'))).toEqual({ ok: true });
    expect(filter.check(release(normalizeProjectName(topNames[54_321]!)))).toEqual({ ok: true });
    expect(filter.check(release('surely-not-a-top-100k-project'))).toEqual({ ok: false, rule: 'allowFile' });
  });

  test('matches names that differ only in case and separators', async () => {
    const path = join(dir, 'mixed.txt');
    await writeFile(path, 'Flask_SQLAlchemy\nzope.interface\n');
    expect(await loadAllowFile(path)).toEqual(new Set(['flask-sqlalchemy', 'zope-interface']));
  });

  test('invalid names fail the load with their line numbers', async () => {
    const path = join(dir, 'bad.txt');
    await writeFile(path, 'requests\n-leading-dash\nnumpy\n# fine\nbad!name\n');
    const error = await loadAllowFile(path).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).message).toContain('2 invalid project name(s): line 2: "-leading-dash"');
    expect((error as InvalidInputError).message).toContain('line 5: "bad!name"');
  });

  test('a missing file is a ConfigError naming the path', async () => {
    await expect(loadAllowFile(join(dir, 'missing.txt'))).rejects.toThrow(/filters\.allowFile: cannot read .*missing\.txt/);
  });
});
