import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCli } from '@pypi-watch/test-utils';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pypi-watch-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('pypi-watch command line', () => {
  test('--help lists every command and exits 0', async () => {
    const result = await runCli(['--help'], { cwd: dir });
    expect(result.code).toBe(0);
    for (const command of ['start', 'scheduler', 'worker', 'dashboard', 'enqueue', 'status', 'cleanup']) {
      expect(result.stdout).toContain(command);
    }
  });

  test.each([
    [['frobnicate']],
    [['status', '--colour']],
    [['worker', '--queues', 'poll,nope']],
    [['worker', '--concurrency', '0']],
    [['worker', '--concurrency', '3x']],
    // One NAME==VERSION reading everywhere: `foo==` is not `foo`.
    [['why', 'foo==']],
    [['why', '==1.0']],
  ])('%j prints usage and exits 2', async (args) => {
    const result = await runCli(args, { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/error|expected/i);
    expect(result.stderr).toContain('pypi-watch --help');
  });

  test('enqueue with nothing to enqueue is a usage error', async () => {
    const result = await runCli(['enqueue'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('nothing to enqueue');
  });

  test('a bad config stops the command with the key named and no stack trace', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'submit:\n  concurrency: -3\n  colour: red\n');
    const result = await runCli(['status', '--config', file], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('submit.concurrency: got -3');
    expect(result.stderr).toContain('submit.colour: unknown key');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  test('an unreachable REDIS_URL fails fast with the URL named, password hidden', async () => {
    const result = await runCli(['status'], { cwd: dir, env: { REDIS_URL: 'redis://:s3cret@127.0.0.1:1' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/cannot connect to Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1/);
    expect(result.stderr).not.toContain('s3cret');
  });
});
