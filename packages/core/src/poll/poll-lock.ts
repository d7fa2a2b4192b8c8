// A Redis lock so one poll runs at a time, whether started by the poll queue or by `pypi-watch poll`.

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { PollInProgressError } from '../errors.js';
import { processAlive } from '../process/process-alive.js';

// Compare-and-act, so a lock that expired and was taken by someone else is never touched.
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0`;

export interface PollLockOptions {
  readonly redis: Redis;
  readonly key: string;
  /** Lock lifetime, renewed at a third of it while the poll runs. @defaultValue 30000 (ms) */
  readonly ttlMs?: number;
}

/** Who holds the lock: lets a process on the same host take over from a holder that died. */
interface Holder {
  readonly host: string;
  readonly pid: number;
  readonly id: string;
}

/** Runs `fn` holding the lock; throws PollInProgressError when a live poll holds it. */
export async function withPollLock<T>(options: PollLockOptions, fn: () => Promise<T>): Promise<T> {
  const ttlMs = options.ttlMs ?? 30_000;
  const holder: Holder = { host: hostname(), pid: process.pid, id: randomUUID() };
  const token = JSON.stringify(holder);
  if (!(await acquire(options, token, ttlMs))) throw new PollInProgressError();
  const renew = setInterval(
    () => {
      options.redis.eval(RENEW, 1, options.key, token, String(ttlMs)).catch(() => {
        // A missed renewal is retried at the next tick; the lock only lapses after ttlMs.
      });
    },
    Math.max(1000, Math.floor(ttlMs / 3)),
  );
  try {
    return await fn();
  } finally {
    clearInterval(renew);
    await options.redis.eval(RELEASE, 1, options.key, token).catch(() => undefined);
  }
}

async function acquire(options: PollLockOptions, token: string, ttlMs: number): Promise<boolean> {
  if ((await options.redis.set(options.key, token, 'PX', ttlMs, 'NX')) === 'OK') return true;
  // A poll killed on this host leaves its lock until the TTL ends; its dead pid lets us take it now.
  const current = await options.redis.get(options.key);
  if (current === null || !heldByDeadLocalProcess(current)) return false;
  await options.redis.eval(RELEASE, 1, options.key, current);
  return (await options.redis.set(options.key, token, 'PX', ttlMs, 'NX')) === 'OK';
}

function heldByDeadLocalProcess(value: string): boolean {
  let holder: Partial<Holder>;
  try {
    holder = JSON.parse(value) as Partial<Holder>;
  } catch {
    return false;
  }
  if (holder.host !== hostname() || typeof holder.pid !== 'number' || holder.pid === process.pid) return false;
  return !processAlive(holder.pid);
}
