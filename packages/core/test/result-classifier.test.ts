import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { classifyResultFolder } from '../src/results/result-classifier.js';
import { localResultPath, resolveResultPath } from '../src/results/result-path.js';

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
    const noInstall = await resultFolder(join(root, 'no-install'), {
      'job.yaml': JOB,
      output: 'rpmbuild success\nfail to local install rpms\n',
    });
    expect(await classifyResultFolder(noInstall)).toMatchObject({ status: 'success', installed: false });
  });

  test.each([
    [
      'repo-outage',
      { output: "Errors during downloading metadata for repository 'OS':\n", 'build.log': 'ModuleNotFoundError: No module named x' },
    ],
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
  });

  test('an empty map maps nothing: a printed path could otherwise name any file on this host', () => {
    expect(localResultPath('/srv/result/1', {})).toBeUndefined();
    expect(localResultPath('/etc/passwd', {})).toBeUndefined();
  });

  test('says which local root the folder must stay inside', () => {
    expect(resolveResultPath('/srv/result/a/1', { '/srv/': '/mnt/farm-srv/' })).toEqual({
      root: '/mnt/farm-srv/',
      path: '/mnt/farm-srv/result/a/1',
    });
    expect(resolveResultPath('/srv', { '/srv': '/mnt/farm-srv' })).toEqual({ root: '/mnt/farm-srv', path: '/mnt/farm-srv/' });
  });
});

/** FIFOs made by a test: any reader the code under test left blocked in open() is let go afterwards. */
const fifos: string[] = [];
afterEach(() => {
  for (const fifo of fifos.splice(0)) {
    try {
      closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // ENXIO: nobody is blocked reading it.
    }
  }
});

function mkfifo(path: string): string {
  execFileSync('mkfifo', [path]);
  fifos.push(path);
  return path;
}

/** Fails instead of hanging the test file: a blocked open() never returns on its own. */
function within<T>(promise: Promise<T>, ms = 3000): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still blocked after ${ms} ms`)), ms)),
  ]);
}

describe('classifyResultFolder on a hostile folder', () => {
  test('a FIFO as output is refused without being opened', async () => {
    const dir = await resultFolder(join(root, 'fifo-output'), { 'job.yaml': JOB });
    mkfifo(join(dir, 'output'));
    expect(await within(classifyResultFolder(dir))).toEqual({ state: 'unreadable', reason: 'not-a-regular-file', file: 'output' });
  });

  test('a FIFO as build.log is refused too; one as job.yaml only loses the duration', async () => {
    const dir = await resultFolder(join(root, 'fifo-build-log'), { output: 'error\n' });
    mkfifo(join(dir, 'build.log'));
    expect(await within(classifyResultFolder(dir))).toEqual({ state: 'unreadable', reason: 'not-a-regular-file', file: 'build.log' });
    const other = await resultFolder(join(root, 'fifo-job-yaml'), { output: 'rpmbuild success\n' });
    mkfifo(join(other, 'job.yaml'));
    expect(await within(classifyResultFolder(other))).toEqual({ state: 'done', status: 'success', installed: true });
  });

  test('output -> /etc/passwd is not read, nor a link to a file inside the folder', async () => {
    const dir = await resultFolder(join(root, 'passwd'), { 'job.yaml': JOB });
    await symlink('/etc/passwd', join(dir, 'output'));
    expect(await within(classifyResultFolder(dir))).toEqual({ state: 'unreadable', reason: 'symlink', file: 'output' });
    const inside = await resultFolder(join(root, 'inner-link'), { 'job.yaml': JOB, 'real-output': 'rpmbuild success\n' });
    await symlink('real-output', join(inside, 'output'));
    expect(await classifyResultFolder(inside)).toMatchObject({ state: 'unreadable', reason: 'symlink' });
  });

  test('a result folder that is a symlink out of the mapped root is not read; one within it is', async () => {
    const mount = await mkdtemp(join(root, 'mount-'));
    const outside = await resultFolder(join(root, 'elsewhere'), { 'job.yaml': JOB, output: 'rpmbuild success\n' });
    await mkdir(join(mount, 'result'), { recursive: true });
    await symlink(outside, join(mount, 'result', 'escape'));
    expect(await classifyResultFolder(join(mount, 'result', 'escape'), { root: mount })).toEqual({
      state: 'unreadable',
      reason: 'outside-root',
    });
    // `..` spelled by a link in the middle of the path is the same escape.
    await symlink('/', join(mount, 'up'));
    expect(await classifyResultFolder(join(mount, 'up', 'etc'), { root: mount })).toEqual({ state: 'unreadable', reason: 'outside-root' });

    const real = await resultFolder(join(mount, 'result', 'real'), { 'job.yaml': JOB, output: 'rpmbuild success\n' });
    await symlink(real, join(mount, 'result', 'alias'));
    expect(await classifyResultFolder(join(mount, 'result', 'alias'), { root: mount })).toMatchObject({ state: 'done', status: 'success' });
  });

  test('a result path that is a file, not a folder, is unreadable', async () => {
    const mount = await mkdtemp(join(root, 'mount-'));
    await writeFile(join(mount, 'not-a-folder'), 'x');
    expect(await classifyResultFolder(join(mount, 'not-a-folder'), { root: mount })).toEqual({
      state: 'unreadable',
      reason: 'not-a-directory',
    });
  });

  test('only maxScanBytes of a file are read', async () => {
    const dir = await resultFolder(join(root, 'big'), { 'job.yaml': JOB, output: `${'x'.repeat(4096)}rpmbuild success\n` });
    expect(await classifyResultFolder(dir, { maxScanBytes: 4096 })).toMatchObject({ state: 'done', status: 'failure' });
    expect(await classifyResultFolder(dir, { maxScanBytes: 8192 })).toMatchObject({ state: 'done', status: 'success' });
  });
});
