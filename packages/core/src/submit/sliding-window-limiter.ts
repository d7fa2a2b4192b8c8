// An exact sliding-window rate limit in Redis, shared by every worker on every host.
//
// BullMQ's own limiter is a fixed window: `max` per window, but up to 2 × max inside a second that
// straddles two windows. The farm's limit is on any window, so each submit also takes a slot here:
// a sorted set of start times over the last `duration`, checked and updated by one Lua script on
// Redis' clock (hosts' clocks may differ).

import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window, max = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < max then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now + 1)
`;

export interface SlidingWindowLimiterOptions {
  readonly redis: Redis;
  /** The sorted set's key, under the deployment's hash tag. */
  readonly key: string;
  /** Starts allowed in any window. */
  readonly max: number;
  /** The window (ms). */
  readonly durationMs: number;
}

export class SlidingWindowLimiter {
  readonly #options: SlidingWindowLimiterOptions;

  constructor(options: SlidingWindowLimiterOptions) {
    this.#options = options;
  }

  /** Takes a slot and returns 0, or takes none and returns how many ms until one frees up. */
  async tryAcquire(): Promise<number> {
    const { redis, key, max, durationMs } = this.#options;
    return Number(await redis.eval(ACQUIRE, 1, key, durationMs, max, randomUUID()));
  }
}
