import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { afterEach, describe, expect, test } from 'vitest';
import { PollInProgressError } from '../src/errors.js';
import { withPollLock } from '../src/poll/poll-lock.js';
import { processAlive } from '../src/process/process-alive.js';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix, waitFor } from '@pypi-watch/test-utils';

const children: Array<ReturnType<typeof spawn>> = [];
const prefixes: string[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  const redis = connectTestRedis();
  for (const prefix of prefixes.splice(0)) await deleteKeysWithPrefix(redis, prefix);
  redis.disconnect();
});

/**
 * A zombie: `sleep 0.3` runs in the background of a shell that then execs `sleep 30`, which never
 * waits for it, so once it exits it stays unreaped for as long as the parent lives. (It outlives
 * the exec, or the shell itself might reap it.)
 */
async function zombiePid(): Promise<number> {
  const parent = spawn('sh', ['-c', 'sleep 0.3 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(parent);
  const pid = await new Promise<number>((resolve) => parent.stdout.once('data', (chunk: Buffer) => resolve(Number(String(chunk).trim()))));
  await waitFor(async () => {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  });
  return pid;
}

describe('processAlive', () => {
  test('this process is alive; a pid that is not a positive integer, or that has exited, is not', async () => {
    expect(processAlive(process.pid)).toBe(true);
    for (const pid of [0, -1, 1.5, Number.NaN]) expect(processAlive(pid)).toBe(false);
    const child = spawn('true');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(processAlive(child.pid!)).toBe(false);
  });

  test('a zombie has exited: it counts as gone', async () => {
    const pid = await zombiePid();
    // kill(pid, 0) still succeeds on it: only /proc tells it apart.
    expect(() => process.kill(pid, 0)).not.toThrow();
    expect(processAlive(pid)).toBe(false);
  });
});

describe('poll lock', () => {
  test('a lock held by a zombie process of this host is taken over, a live holder’s is not', async () => {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const redis = connectTestRedis();
    try {
      const key = `{${prefix}}:state:poll-lock`;
      await redis.set(key, JSON.stringify({ host: hostname(), pid: await zombiePid(), id: 'crashed' }), 'PX', 60_000);
      expect(await withPollLock({ redis, key }, async () => 'ran')).toBe('ran');

      await redis.set(key, JSON.stringify({ host: hostname(), pid: children[0]!.pid, id: 'live' }), 'PX', 60_000);
      await expect(withPollLock({ redis, key }, async () => 'ran')).rejects.toBeInstanceOf(PollInProgressError);
    } finally {
      redis.disconnect();
    }
  });
});
