import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { classifyResultFolder } from '../src/results/result-classifier.js';
import { localResultPath } from '../src/results/result-path.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pypi-watch-results-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A result folder as the farm leaves it. */
export async function resultFolder(dir: string, files: Record<string, string>): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

const JOB = 'suite: rpmbuild-python-update\nrepo_addr: demo\n';

describe('classifyResultFolder', () => {
  test('no folder yet is waiting; a folder without output is running', async () => {
    expect(await classifyResultFolder(join(root, 'nope'))).toEqual({ state: 'waiting' });
    const dir = await resultFolder(join(root, 'running'), { 'job.yaml': JOB, 'build.log': 'compiling\n' });
    expect(await classifyResultFolder(dir)).toEqual({ state: 'running' });
  });

  test('success, with and without the RPMs installing, and the build duration', async () => {
    const ok = await resultFolder(join(root, 'ok'), { 'job.yaml': JOB, output: 'lots\nrpmbuild success\n' });
    await utimes(join(ok, 'job.yaml'), new Date(1_000_000), new Date(1_000_000));
    await utimes(join(ok, 'output'), new Date(1_090_000), new Date(1_090_000));
    expect(await classifyResultFolder(ok)).toEqual({ state: 'done', status: 'success', installed: true, buildDurationMs: 90_000 });
    const noInstall = await resultFolder(join(root, 'no-install'), { 'job.yaml': JOB, output: 'rpmbuild success\nfail to local install rpms\n' });
    expect(await classifyResultFolder(noInstall)).toMatchObject({ status: 'success', installed: false });
  });

  test.each([
    ['repo-outage', { output: "Errors during downloading metadata for repository 'OS':\n", 'build.log': 'ModuleNotFoundError: No module named x' }],
    ['missing-dependency', { output: 'failed\n', 'build.log': "ModuleNotFoundError: No module named 'setuptools_scm'\n" }],
    ['spec-needs-repair', { output: 'failed\n', 'build.log': "error: line 12: Illegal char '*' in: Requires: foo*\n" }],
    ['spec-needs-repair', { output: 'failed\n', 'build.log': 'Dependency tokens must begin with alpha-numeric\n' }],
    ['ai-repair-skipped', { output: 'skip ai repair\n' }],
    ['requirements-repaired', { output: 'old version: foo>=1\n' }],
    ['other', { output: 'something else went wrong\n' }],
  ])('failure kind %s', async (kind, files) => {
    const dir = await resultFolder(join(root, `kind-${kind}-${Object.keys(files).length}-${Math.random()}`), { 'job.yaml': JOB, ...files });
    expect(await classifyResultFolder(dir)).toMatchObject({ state: 'done', status: 'failure', kind });
  });

  test('a marker split across read chunks is still found', async () => {
    const padding = 'x'.repeat(1024 * 1024 - 5);
    const dir = await resultFolder(join(root, 'split'), { 'job.yaml': JOB, output: `${padding}rpmbuild success\n` });
    expect(await classifyResultFolder(dir)).toMatchObject({ status: 'success' });
  });
});

describe('localResultPath', () => {
  test('maps the longest matching farm prefix and refuses anything else', () => {
    const map = { '/srv': '/mnt/farm-srv', '/srv/result/special': '/mnt/special' };
    expect(localResultPath('/srv/result/a/1', map)).toBe('/mnt/farm-srv/result/a/1');
    expect(localResultPath('/srv/result/special/9', map)).toBe('/mnt/special/9');
    expect(localResultPath('/srvx/result', map)).toBeUndefined();
    expect(localResultPath('/srv/../etc/passwd', map)).toBeUndefined();
    expect(localResultPath('relative/path', map)).toBeUndefined();
    expect(localResultPath('/srv/result/1', {})).toBe('/srv/result/1');
  });
});
