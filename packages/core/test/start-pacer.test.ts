import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, test } from 'vitest';
import { defaultJitterAllowanceMs, StartPacer, type ReservedStart, type StartPacerOptions } from '../src/submit/start-pacer.js';
import { connectTestRedis, deleteKeysWithPrefix, seededRandom, uniquePrefix } from '@pypi-watch/test-utils';

const clients: ReturnType<typeof connectTestRedis>[] = [];
const prefixes: string[] = [];
afterEach(async () => {
  const cleanup = connectTestRedis();
  for (const prefix of prefixes.splice(0)) await deleteKeysWithPrefix(cleanup, prefix);
  cleanup.disconnect();
  for (const client of clients.splice(0)) client.disconnect();
});

function pacers(count: number, options: Omit<StartPacerOptions, 'redis' | 'key'>, { log = false } = {}): StartPacer[] {
  const prefix = uniquePrefix();
  prefixes.push(prefix);
  return Array.from({ length: count }, () => {
    const redis = connectTestRedis();
    clients.push(redis);
    return new StartPacer({ redis, key: `{${prefix}}:next-start`, ...(log ? { logKey: `{${prefix}}:start-log` } : {}), ...options });
  });
}

/** The next start, asking again when it is further ahead than maxAheadMs. */
async function reserved(pacer: StartPacer): Promise<ReservedStart> {
  for (;;) {
    const start = await pacer.reserve();
    if (start.reserved) return start;
    await sleep(start.retryInMs);
  }
}

/** Most of `times` (ms) in any window of `windowMs` that starts at one of them. */
function mostInWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[j]! <= sorted[i]! - windowMs) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
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

  /**
   * One start every ~106.7 ms with 20 ms of allowance (a start may be 10 ms late before it says so):
   * the first start's process begins `lateMs` after its slot, the next two on time; the 4th slot's distance from the first.
   */
  async function fourthAfterLateFirst(lateMs: number): Promise<{ spacing: number; fourth: number }> {
    const [pacer] = pacers(1, { max: 3, durationMs: 300, jitterAllowanceMs: 20 }, { log: true });
    const first = await reserved(pacer!);
    pacer!.started(first, first.slotAt + lateMs);
    const second = await reserved(pacer!);
    await pacer!.waitForStart(second);
    await pacer!.waitForStart(await reserved(pacer!));
    const fourth = await reserved(pacer!);
    return { spacing: second.slotUs - first.slotUs, fourth: fourth.slotUs - first.slotUs };
  }

  test('a start that began late holds back the start a window after it, so the window still holds max', async () => {
    // Its process began 100 ms after its slot (fork and exec waiting for a core).
    const { spacing, fourth } = await fourthAfterLateFirst(100);
    // Spacing alone puts the 4th at first + 320 ms, 20 ms inside the late start's window.
    expect(spacing).toBe(106_667);
    expect(fourth).toBeGreaterThanOrEqual(100_000 + 300_000 + 10_000);
    expect(fourth).toBeLessThan(100_000 + 300_000 + 10_000 + 1000);
  });

  test('a start late by less than half the allowance leaves the pace alone', async () => {
    expect((await fourthAfterLateFirst(9)).fourth).toBe(3 * 106_667);
  });

  test('with processes beginning up to 80 ms after their slots, no window of their real starts holds more than max', async () => {
    const max = 20;
    const durationMs = 500;
    const random = seededRandom(16);
    const run = async (log: boolean): Promise<number[]> => {
      const all = pacers(3, { max, durationMs }, { log });
      const began: number[] = [];
      const until = performance.now() + 1500;
      await Promise.all(
        all.flatMap((pacer) =>
          [1, 2, 3, 4].map(async () => {
            while (performance.now() < until) {
              const start = await pacer.reserve();
              if (!start.reserved) {
                await sleep(Math.min(start.retryInMs, 20));
                continue;
              }
              const taken = await pacer.waitForStart(start);
              // The process begins this long after its spawn was due: most at once, some much later.
              const late = random() < 0.5 ? 30 + random() * 50 : random() * 5;
              const at = performance.now() + late;
              pacer.started(taken, at);
              began.push(at);
              await sleep(late);
            }
          }),
        ),
      );
      return began;
    };
    const withLog = await run(true);
    expect(withLog.length).toBeGreaterThan(40);
    expect(mostInWindow(withLog, durationMs)).toBeLessThanOrEqual(max);
    // The same lateness with even spacing alone lets more than max into a window: what the log is for.
    expect(mostInWindow(await run(false), durationMs)).toBeGreaterThan(max);
  });

  test('a slot given up for being reached late leaves the log, so it holds nobody back', async () => {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const redis = connectTestRedis();
    clients.push(redis);
    const logKey = `{${prefix}}:start-log`;
    const pacer = new StartPacer({ redis, key: `{${prefix}}:next-start`, logKey, max: 10, durationMs: 990, jitterAllowanceMs: 10 });
    const first = await reserved(pacer);
    const blockedUntil = first.startAt + 40;
    while (performance.now() < blockedUntil);
    const taken = await pacer.waitForStart(first);
    expect(taken.slotUs).toBeGreaterThan(first.slotUs);
    expect(await redis.zrange(logKey, 0, -1)).toEqual([String(taken.slotUs)]);
  });

  test('a start less than 1 ms ahead still waits for its slot (a 2 ms window reserves at most 1 ms ahead)', async () => {
    const [pacer] = pacers(1, { max: 1, durationMs: 2 });
    let early = 0;
    for (let i = 0; i < 40; i++) {
      const taken = await pacer!.waitForStart(await reserved(pacer!));
      if (performance.now() < taken.startAt) early++;
    }
    expect(early).toBe(0);
  });

  test('the jitter allowance is 25 ms a window, at most 5 % of it', () => {
    expect(defaultJitterAllowanceMs(1000)).toBe(25);
    expect(defaultJitterAllowanceMs(60_000)).toBe(25);
    expect(defaultJitterAllowanceMs(100)).toBe(5);
  });
});
