// The rendered job yaml read by Ruby the way lkp-tests' `submit` reads it: every value must come
// back as what JavaScript's YAML 1.2 parser reads from the same file. Needs Debian's `ruby`
// (.ci/run installs it); without it these tests fail, saying how to install it.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { renderJobYaml } from '../src/submit/job-yaml.js';
import { JobYamlError } from '../src/errors.js';

const LOADER = resolve(import.meta.dirname, 'fixtures/lkp-load-job.rb');
const SHIPPED_TEMPLATE = resolve(import.meta.dirname, '../../../config/update-pypi.yaml');

/** Template values YAML 1.1 reads differently from YAML 1.2, plus text lkp-tests rewrites before parsing. */
const HOSTILE_TEMPLATE = `
suite: rpmbuild-python-update
bool_yes: yes
bool_on: On
bool_off: off
bool_y: y
bool_n: N
sexagesimal: 1:20
binary: 0b11
underscored: 1_000
date: 2026-01-01
timestamp: 2026-01-01 10:00:00
tilde_string: "~"
null_string: 'null'
octal_string: '012'
octal_12: 0o17
leading_zero: 012
exponent: 1e3
fraction: 2.50
symbol: :sym
word_colon: a:b
equals: "="
merge_key_text: "<<"
erb: "<%= \`id\` %>"
include: "x<<: /etc/passwd"
braces: "{{ 1 + 1 }}"
percent: "%x"
empty_string: ""
leading_space: " lead"
tabbed: "a\\tb"
nested:
  on: off
  list: [yes, 1:20, ~, 0x1F, .inf]
rpmbuild:
`;

/** AI values an operator might set: anything at all, as far as the YAML writer is concerned. */
const HOSTILE_SECRETS = [
  'on',
  'NO',
  '0b11',
  '1_000',
  '1:20',
  '2026-01-01',
  '~',
  'null',
  '012',
  '.inf',
  ':sym',
  '<%= File.write("/tmp/pypi-watch-erb", 1) %>',
  'x<<: /etc/passwd',
  '{{ 7 * 7 }}',
  '%include',
  `it's "quoted" \\ back`,
  '#hash',
  '- dash',
  '? question',
  '!tag value',
  '&anchor',
  '*alias',
  '@at',
  '`tick`',
  'model-\u202e-ünïcødé-😀',
  'https://user:p%40ss@ai.example.org/v1?q={x}&y=[1]',
];

type Typed =
  | { class: 'Hash'; entries: Array<[Typed, Typed]> }
  | { class: 'Array'; items: Typed[] }
  | { class: 'String' | 'Numeric' | 'Boolean'; value: unknown }
  | { class: 'NilClass' }
  | { class: string; value: string };

/** What JavaScript read, in the shape the Ruby loader prints. */
function typed(value: unknown): Typed {
  if (value === null || value === undefined) return { class: 'NilClass' };
  if (Array.isArray(value)) return { class: 'Array', items: value.map(typed) };
  if (typeof value === 'object') return { class: 'Hash', entries: Object.entries(value).map(([k, v]) => [typed(k), typed(v)]) };
  if (typeof value === 'string') return { class: 'String', value };
  if (typeof value === 'number') return { class: 'Numeric', value: Number.isFinite(value) ? value : String(value) };
  if (typeof value === 'boolean') return { class: 'Boolean', value };
  return {
    class: typeof value,
    value: typeof value === 'object' ? JSON.stringify(value) : typeof value === 'string' ? value : typeof value,
  };
}

async function loadWithRuby(path: string): Promise<{ textPasses: string[]; jobs: Typed[] }> {
  const { stdout } = await execa('ruby', [LOADER, path]);
  return JSON.parse(stdout) as { textPasses: string[]; jobs: Typed[] };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pypi-watch-ruby-yaml-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

beforeAll(async () => {
  const ruby = await execa('ruby', ['-ryaml', '-e', 'print Psych::VERSION'], { reject: false });
  if (ruby.exitCode !== 0) {
    throw new Error(
      'These tests need Ruby with Psych, as lkp-tests runs it: `apt-get update && apt-get install -y ruby` ' +
        `(.ci/run does this). Running ruby gave: ${ruby.shortMessage ?? ruby.stderr}`,
    );
  }
});

describe('the rendered job yaml, read by Ruby as lkp-tests reads it', () => {
  test('the shipped template with ordinary secrets: the same values, no text pass triggered', async () => {
    const dir = await tempDir();
    const path = await renderJobYaml({
      templatePath: SHIPPED_TEMPLATE,
      outDir: dir,
      secrets: { apiKey: 'sk-test-0123456789', baseUrl: 'https://ai.example.org/v1', aiModel: 'deepseek-v3' },
    });
    const ruby = await loadWithRuby(path);
    expect(ruby.textPasses).toEqual([]);
    expect(ruby.jobs).toEqual([typed(parse(await readFile(path, 'utf8')))]);
    // (control) the comparison sees the values at all.
    expect(JSON.stringify(ruby.jobs)).toContain('24.03-LTS');
  });

  test('template values that YAML 1.1 reads differently come back as YAML 1.2 read them', async () => {
    const dir = await tempDir();
    const templatePath = join(dir, 'hostile.yaml');
    await writeFile(templatePath, HOSTILE_TEMPLATE);
    const path = await renderJobYaml({ templatePath, outDir: join(dir, 'out'), secrets: {} });

    const js = parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    // What the template meant, read as YAML 1.2, survives the rendering.
    expect(js).toEqual(parse(HOSTILE_TEMPLATE));
    expect(js).toMatchObject({ bool_yes: 'yes', sexagesimal: '1:20', date: '2026-01-01', octal_12: 15, leading_zero: 12, exponent: 1000 });

    const ruby = await loadWithRuby(path);
    expect(ruby.textPasses).toEqual([]);
    expect(ruby.jobs).toEqual([typed(js)]);
  });

  test.each(HOSTILE_SECRETS)('the AI secrets set to %j come back as that exact string', async (value) => {
    const dir = await tempDir();
    const path = await renderJobYaml({
      templatePath: SHIPPED_TEMPLATE,
      outDir: dir,
      secrets: { apiKey: value, baseUrl: value, aiModel: value },
    });
    const ruby = await loadWithRuby(path);
    expect(ruby.textPasses).toEqual([]);
    const job = ruby.jobs[0];
    expect(job?.class).toBe('Hash');
    const entries = new Map((job as { entries: Array<[Typed, Typed]> }).entries.map(([k, v]) => [JSON.stringify(k), v]));
    for (const key of ['api_key', 'base_url', 'ai_model']) {
      expect(entries.get(JSON.stringify({ class: 'String', value: key }))).toEqual({ class: 'String', value });
    }
    expect(ruby.jobs).toEqual([typed(parse(await readFile(path, 'utf8')))]);
  });

  test('a template with a Ruby object tag is refused, naming the tag', async () => {
    const dir = await tempDir();
    const templatePath = join(dir, 'tagged.yaml');
    await writeFile(templatePath, 'suite: x\nobj: !ruby/object:Gem::Installer\n  i: x\n');
    const error = await renderJobYaml({ templatePath, outDir: dir, secrets: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobYamlError);
    expect((error as JobYamlError).message).toContain('!ruby/object:Gem::Installer');
  });
});
