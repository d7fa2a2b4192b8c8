import { afterEach, describe, expect, test } from 'vitest';
import { SlidingWindowLimiter } from '../src/submit/sliding-window-limiter.js';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from './support/test-redis.js';

const clients: ReturnType<typeof connectTestRedis>[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});

describe('SlidingWindowLimiter', () => {
  test('no window of `duration` ever holds more than `max` acquisitions, across clients', async () => {
    const prefix = uniquePrefix();
    const key = `{${prefix}}:starts`;
    const max = 20;
    const durationMs = 500;
    const granted: number[] = [];
    // Three connections stand in for three worker processes.
    const limiters = [1, 2, 3].map(() => {
      const redis = connectTestRedis();
      clients.push(redis);
      return new SlidingWindowLimiter({ redis, key, max, durationMs });
    });
    const until = Date.now() + 2000;
    await Promise.all(
      limiters.flatMap((limiter) =>
        [1, 2, 3, 4].map(async () => {
          while (Date.now() < until) {
            const wait = await limiter.tryAcquire();
            if (wait === 0) granted.push(Date.now());
            else {
              expect(wait).toBeLessThanOrEqual(durationMs + 1);
              await new Promise((resolve) => setTimeout(resolve, Math.min(wait, 20)));
            }
          }
        }),
      ),
    );
    granted.sort((a, b) => a - b);
    // Client-side times lag Redis' by a few ms at most; a fixed window would allow 2 × max here.
    for (const t of granted) expect(granted.filter((u) => u >= t && u < t + durationMs - 20).length).toBeLessThanOrEqual(max);
    // And it is a limit, not a stop: about max per window got through (4 windows in 2 s).
    expect(granted.length).toBeGreaterThanOrEqual(3 * max);
    expect(granted.length).toBeLessThanOrEqual(5 * max);
    const cleanup = connectTestRedis();
    await deleteKeysWithPrefix(cleanup, prefix);
    cleanup.disconnect();
  });
});
