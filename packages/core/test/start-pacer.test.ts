import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, test } from 'vitest';
import { defaultJitterAllowanceMs, StartPacer, type StartPacerOptions } from '../src/submit/start-pacer.js';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '@pypi-watch/test-utils';

const clients: ReturnType<typeof connectTestRedis>[] = [];
const prefixes: string[] = [];
afterEach(async () => {
  const cleanup = connectTestRedis();
  for (const prefix of prefixes.splice(0)) await deleteKeysWithPrefix(cleanup, prefix);
  cleanup.disconnect();
  for (const client of clients.splice(0)) client.disconnect();
});

function pacers(count: number, options: Omit<StartPacerOptions, 'redis' | 'key'>): StartPacer[] {
  const prefix = uniquePrefix();
  prefixes.push(prefix);
  return Array.from({ length: count }, () => {
    const redis = connectTestRedis();
    clients.push(redis);
    return new StartPacer({ redis, key: `{${prefix}}:next-start`, ...options });
  });
}

describe('StartPacer', () => {
  test('starts reserved by many clients are spaced (duration + allowance)/max apart, so no window holds more than max', async () => {
    const max = 20;
    const durationMs = 500;
    // Three connections stand in for three worker processes, four job slots each.
    const all = pacers(3, { max, durationMs });
    const slots: number[] = [];
    const until = Date.now() + 1500;
    await Promise.all(
      all.flatMap((pacer) =>
        [1, 2, 3, 4].map(async () => {
          while (Date.now() < until) {
            const start = await pacer.reserve();
            if (start.reserved) {
              expect(start.startInMs).toBeLessThanOrEqual(1000);
              slots.push(start.slotUs);
              await sleep(start.startInMs);
            } else {
              expect(start.retryInMs).toBeGreaterThanOrEqual(1);
              await sleep(Math.min(start.retryInMs, 20));
            }
          }
        }),
      ),
    );
    slots.sort((a, b) => a - b);
    // 500 ms windows leave 25 ms (5 %) for start-up jitter.
    const intervalUs = ((durationMs + 25) * 1000) / max;
    expect(all[0]!.intervalUs).toBe(intervalUs);
    for (let i = 1; i < slots.length; i++) expect(slots[i]! - slots[i - 1]!).toBeGreaterThanOrEqual(intervalUs);
    for (const t of slots) expect(slots.filter((u) => u >= t && u < t + durationMs * 1000).length).toBeLessThanOrEqual(max);
    // A pace, not a stop: with work always waiting, every slot is taken (1.5 s of 26.25 ms slots,
    // and the last reservations run up to 1 s ahead).
    expect(slots.length).toBeGreaterThanOrEqual(57);
    expect(slots.length).toBeLessThanOrEqual(5 * max + 1);
  });

  test('a start further ahead than maxAheadMs is not reserved: the caller is told when to ask again', async () => {
    const [pacer] = pacers(1, { max: 1, durationMs: 10_000, jitterAllowanceMs: 0 });
    const first = await pacer!.reserve();
    expect(first).toMatchObject({ reserved: true });
    expect(first.reserved && first.startInMs).toBeLessThan(1);
    const second = await pacer!.reserve();
    expect(second.reserved).toBe(false);
    // The next start is 10 s after the first; it may be reserved from 1 s before it.
    expect(!second.reserved && second.retryInMs).toBeGreaterThan(8500);
    expect(!second.reserved && second.retryInMs).toBeLessThanOrEqual(9000);
  });

  test('a pace of one start every 333⅓ ms rounds the spacing up, never down', async () => {
    const [pacer] = pacers(1, { max: 3, durationMs: 1000, maxAheadMs: 5000, jitterAllowanceMs: 0 });
    const slots: number[] = [];
    for (let i = 0; i < 7; i++) {
      const start = await pacer!.reserve();
      if (!start.reserved) throw new Error('expected a reservation');
      slots.push(start.slotUs);
    }
    for (let i = 1; i < slots.length; i++) expect(slots[i]! - slots[i - 1]!).toBe(333_334);
    // Without an allowance, 7 starts span 2 s + 4 µs: the 4th is just past the first window.
    expect(slots[3]! - slots[0]!).toBeGreaterThanOrEqual(1_000_000);
  });

  test('a reservation sends the script by its SHA1 once Redis has it, not the whole script each time', async () => {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const redis = connectTestRedis();
    clients.push(redis);
    const pacer = new StartPacer({ redis, key: `{${prefix}}:next-start`, max: 1000, durationMs: 1000 });
    await pacer.reserve();
    const sent: string[] = [];
    const sendCommand = redis.sendCommand.bind(redis);
    redis.sendCommand = (...args: Parameters<typeof sendCommand>) => {
      sent.push(args[0].name);
      return sendCommand(...args);
    };
    for (let i = 0; i < 3; i++) expect(await pacer.reserve()).toMatchObject({ reserved: true });
    expect(sent).toEqual(['evalsha', 'evalsha', 'evalsha']);
  });

  test('waitForStart gives up a slot it reaches later than the allowance and waits for a new one', async () => {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const redis = connectTestRedis();
    clients.push(redis);
    const key = `{${prefix}}:next-start`;
    // One start every 100 ms, 10 ms of allowance a window.
    const pacer = new StartPacer({ redis, key, max: 10, durationMs: 990, jitterAllowanceMs: 10 });
    const first = await pacer.reserve();
    if (!first.reserved) throw new Error('expected a reservation');
    const onTime = performance.now();
    await pacer.waitForStart(first);
    expect(performance.now() - onTime).toBeLessThan(10);
    expect(Number(await redis.get(key))).toBe(first.slotUs);

    const second = await pacer.reserve();
    if (!second.reserved) throw new Error('expected a reservation');
    // A blocked event loop, as on a loaded machine: the second slot is 40 ms behind when it looks.
    const blockedUntil = second.startAt + 40;
    while (performance.now() < blockedUntil);
    await pacer.waitForStart(second);
    const third = Number(await redis.get(key));
    expect(third - second.slotUs).toBe(100_000);
    // It waited for the new slot: ~60 ms after the block, never at once.
    expect(performance.now() - blockedUntil).toBeGreaterThan(40);
  });

  test('the jitter allowance is 25 ms a window, at most 5 % of it', () => {
    expect(defaultJitterAllowanceMs(1000)).toBe(25);
    expect(defaultJitterAllowanceMs(60_000)).toBe(25);
    expect(defaultJitterAllowanceMs(100)).toBe(5);
  });
});
