// The overview's time series on the real Redis: bucket boundaries (minute, hour, UTC day, latency
// cells), retention with an injected clock (old buckets are gone, every key expires), percentiles
// merged across hours, hostile Redis content, and one round trip per recorded event.

import type { Redis } from 'ioredis';
import { describe, expect, test } from 'vitest';
import { MetricsStore } from '../src/metrics/metrics-store.js';
import {
  bucketOf,
  CLOCK_SKEW_SECONDS,
  LATENCY_BOUNDS,
  latencyCell,
  MAX_LATENCY_SECONDS,
  mergeLatency,
  quantile,
  SERIES_RESOLUTIONS,
} from '../src/metrics/time-series.js';
import { readOverview } from '../src/overview/read-overview.js';
import { redisKeys, type RedisKeys } from '../src/redis/redis-keys.js';
import type { Runtime } from '../src/runtime.js';
import { connectTestRedis, runtimeAfterEach } from '@pypi-watch/test-utils';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

const openTestRuntime = runtimeAfterEach();

async function open(): Promise<{ runtime: Runtime; keys: RedisKeys; redis: Redis; storeAt: (at: number) => MetricsStore }> {
  const { setup, runtime } = await openTestRuntime();
  const keys = redisKeys(setup.prefix);
  const redis = runtime.redis;
  return { runtime, keys, redis, storeAt: (at) => new MetricsStore({ redis, keys, now: () => at }) };
}

describe('latency cells', () => {
  test('a bound belongs to its own cell, a hair above it to the next; beyond the bounds nothing is recorded', () => {
    expect(latencyCell(0)).toBe(0);
    expect(latencyCell(1)).toBe(0);
    expect(latencyCell(1.000001)).toBe(1);
    expect(latencyCell(LATENCY_BOUNDS[1]!)).toBe(1);
    expect(latencyCell(LATENCY_BOUNDS[40]!)).toBe(40);
    expect(latencyCell(LATENCY_BOUNDS[40]! * 1.000001)).toBe(41);
    expect(latencyCell(MAX_LATENCY_SECONDS)).toBe(LATENCY_BOUNDS.findIndex((bound) => bound >= MAX_LATENCY_SECONDS));
    expect(latencyCell(MAX_LATENCY_SECONDS + 1)).toBeUndefined();
    // A little below zero is two clocks disagreeing; further is a forged time.
    expect(latencyCell(-CLOCK_SKEW_SECONDS)).toBe(0);
    expect(latencyCell(-CLOCK_SKEW_SECONDS - 1)).toBeUndefined();
    expect(latencyCell(Number.NaN)).toBeUndefined();
    expect(latencyCell(Number.POSITIVE_INFINITY)).toBeUndefined();
  });

  test('a quantile lies in the cell of the sample at its rank', () => {
    const cells = new Array<number>(LATENCY_BOUNDS.length).fill(0);
    cells[10] = 50; // 5.66 – 6.73 s
    cells[30] = 45; // 181 – 215 s
    cells[50] = 5; // 4871 – 5793 s
    const p50 = quantile(cells, 0.5)!;
    expect(p50).toBeGreaterThan(LATENCY_BOUNDS[9]!);
    expect(p50).toBeLessThanOrEqual(LATENCY_BOUNDS[10]!);
    const p95 = quantile(cells, 0.95)!;
    expect(p95).toBeGreaterThan(LATENCY_BOUNDS[29]!);
    expect(p95).toBeLessThanOrEqual(LATENCY_BOUNDS[30]!);
    expect(quantile(cells, 0.96)!).toBeGreaterThan(LATENCY_BOUNDS[49]!);
    expect(quantile(new Array<number>(LATENCY_BOUNDS.length).fill(0), 0.5)).toBeUndefined();
  });
});

describe('the series in Redis', () => {
  test('events a millisecond apart across a minute, hour and UTC day boundary land in neighbouring buckets', async () => {
    const { runtime, storeAt } = await open();
    const now = Date.now();
    const minute = bucketOf('minute', now) * MINUTE;
    const hour = bucketOf('hour', now) * HOUR;
    const day = Math.floor(now / DAY) * DAY;
    // Before each boundary a success, on it a failure.
    const events: Array<[number, 'succeeded' | 'failed']> = [];
    for (const boundary of [minute, hour]) events.push([boundary - 1, 'succeeded'], [boundary, 'failed']);
    for (const [at, outcome] of events) await storeAt(at).recordSubmit(outcome, 1000);
    await storeAt(day - 1).recordResult('success');
    await storeAt(day).recordResult('failure', 'missing-dependency');

    const expected = (start: number, width: number) => {
      const inside = events.filter(([at]) => at >= start && at < start + width);
      return [start, inside.length, inside.filter(([, outcome]) => outcome === 'failed').length];
    };
    const overview = await readOverview(runtime, now);
    expect(overview.minutely).toHaveLength(60);
    expect(overview.minutely.slice(-2).map((b) => [b.at, b.submitsStarted, b.submitsFailed])).toEqual([
      expected(minute - MINUTE, MINUTE),
      expected(minute, MINUTE),
    ]);
    expect(overview.minutely.at(-1)).toMatchObject({ submitsStarted: expect.any(Number) as number, submitsFailed: 1 });
    expect(overview.minutely.at(-2)!.submitsStarted).toBeGreaterThanOrEqual(1);
    expect(overview.hourly).toHaveLength(48);
    expect(overview.hourly.slice(-2).map((b) => [b.at, b.submitsStarted, b.submitsFailed])).toEqual([
      expected(hour - HOUR, HOUR),
      expected(hour, HOUR),
    ]);
    expect(overview.hourly.at(-2)!.submitsStarted).toBeGreaterThanOrEqual(1);
    expect(overview.daily).toHaveLength(90);
    expect(overview.daily.slice(-2)).toEqual([
      { at: day - DAY, success: 1, failure: 0, failureKinds: {} },
      { at: day, success: 0, failure: 1, failureKinds: { 'missing-dependency': 1 } },
    ]);
  });

  test('retention: a minute bucket older than 48 h and an hour bucket older than 90 days are gone; every key expires', async () => {
    const { runtime, keys, redis, storeAt } = await open();
    const now = Date.now();
    const minuteKey = (at: number) => keys.seriesBucket('minute', bucketOf('minute', at));
    const hourKey = (at: number) => keys.seriesBucket('hour', bucketOf('hour', at));

    const justKept = now - 47 * HOUR;
    const minuteGone = now - 48 * HOUR - 2 * MINUTE;
    const hourGone = now - 90 * DAY - 2 * HOUR;
    const dayKept = now - 88 * DAY;
    for (const at of [justKept, minuteGone, hourGone, dayKept])
      await storeAt(at).recordResult('success', undefined, { submitToResultSeconds: 5 });

    expect(await redis.exists(minuteKey(justKept))).toBe(1);
    expect(await redis.exists(minuteKey(minuteGone))).toBe(0);
    expect(await redis.exists(hourKey(minuteGone))).toBe(1);
    expect(await redis.exists(hourKey(hourGone))).toBe(0);
    expect(await redis.exists(hourKey(dayKept))).toBe(1);
    // Each key expires at its bucket's end plus its retention.
    const minuteEnd = (bucketOf('minute', justKept) + 1) * MINUTE + SERIES_RESOLUTIONS.minute.keepMs;
    expect(await redis.pexpiretime(minuteKey(justKept))).toBe(minuteEnd);
    const hourEnd = (bucketOf('hour', dayKept) + 1) * HOUR + SERIES_RESOLUTIONS.hour.keepMs;
    expect(await redis.pexpiretime(hourKey(dayKept))).toBe(hourEnd);

    const overview = await readOverview(runtime, now);
    const successes = overview.daily.reduce((sum, d) => sum + d.success, 0);
    expect(successes).toBe(3); // justKept, minuteGone (its hour is kept), dayKept
    expect(overview.daily.find((d) => d.success > 0 && d.at <= dayKept && dayKept < d.at + DAY)).toBeDefined();

    let cursor = '0';
    const found: string[] = [];
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${keys.base}:series:*`, 'COUNT', 1000);
      cursor = next;
      found.push(...batch);
    } while (cursor !== '0');
    expect(found.length).toBeGreaterThan(0);
    for (const key of found) expect(await redis.pttl(key)).toBeGreaterThan(0);
  });

  test('percentiles of a day merge the hours; values Redis holds that are not ours are ignored', async () => {
    const { runtime, keys, redis, storeAt } = await open();
    const now = Date.now();
    // 10 fast starts two hours ago, 10 slow ones now: p50 at the fast cell's top, p95 in the slow cell.
    for (let i = 0; i < 10; i++) await storeAt(now - 2 * HOUR).recordSubmit('succeeded', 1000, { releaseToStartSeconds: 20 });
    for (let i = 0; i < 10; i++) await storeAt(now).recordSubmit('succeeded', 1000, { releaseToStartSeconds: 900 });
    // Outside the 24 h: not counted.
    await storeAt(now - 30 * HOUR).recordSubmit('succeeded', 1000, { releaseToStartSeconds: 90_000 });
    const hour = keys.seriesBucket('hour', bucketOf('hour', now));
    await redis.hset(hour, { 'r2s:3': 'lots', 'r2s:999': '7', 'r2s:-1': '7', 's2r:4': '-2', 'submits-started': 'NaN' });

    const { latency, hourly } = await readOverview(runtime, now);
    expect(latency.releaseToSubmit.count).toBe(20);
    expect(latency.submitToResult).toEqual({ p50: undefined, p95: undefined, count: 0 });
    const cell = (seconds: number) => [LATENCY_BOUNDS[latencyCell(seconds)! - 1]!, LATENCY_BOUNDS[latencyCell(seconds)!]!] as const;
    expect(latency.releaseToSubmit.p50).toBeGreaterThan(cell(20)[0]);
    expect(latency.releaseToSubmit.p50).toBeLessThanOrEqual(cell(20)[1]);
    expect(latency.releaseToSubmit.p95).toBeGreaterThan(cell(900)[0]);
    expect(latency.releaseToSubmit.p95).toBeLessThanOrEqual(cell(900)[1]);
    expect(hourly.at(-1)!.submitsStarted).toBe(0); // 'NaN' overwrote the count: read as none, not as NaN
    expect(mergeLatency([{ at: 0, fields: { 'r2s:2': 3, 'r2s:x': 1 } }], 'releaseToSubmit')[2]).toBe(3);
  });

  test('each recorded event is still one round trip, with its series in the same pipeline', async () => {
    const { runtime, keys } = await open();
    const now = Date.now();
    // A connection of its own: the runtime's also carries the queues' start-up writes.
    const redis = connectTestRedis();
    await redis.ping(); // connected: the hand-shake's commands are not counted
    const store = new MetricsStore({ redis, keys, now: () => now });
    let roundTrips = 0;
    const sendCommand = redis.sendCommand.bind(redis);
    redis.sendCommand = (...args: Parameters<typeof sendCommand>) => {
      if (args[1] === undefined) roundTrips++;
      return sendCommand(...args);
    };
    const pipeline = redis.pipeline.bind(redis);
    redis.pipeline = (...args: Parameters<typeof pipeline>) => {
      roundTrips++;
      return pipeline(...args);
    };
    await store.recordPoll({ found: 5, queued: 3, waiting: 1, filtered: 1, superseded: 1 }, new Date(now));
    await store.recordSubmit('succeeded', 900, { releaseToStartSeconds: 60 });
    await store.recordResult('failure', 'missing-dependency', { submitToResultSeconds: 600, missingModules: ['flit_core'] });
    expect(roundTrips).toBe(3);
    redis.disconnect();

    const overview = await readOverview(runtime, now);
    expect(overview.hourly.at(-1)).toMatchObject({ found: 5, queued: 3, waiting: 1, filtered: 1, superseded: 1, submitsStarted: 1 });
    expect(overview.latency.releaseToSubmit.count).toBe(1);
    expect(overview.latency.submitToResult.count).toBe(1);
    expect(overview.attention.map((a) => a.what)).toContain('1 of 1 builds failed in the last 24 h; most missed modules: flit_core (1)');
  });
});
