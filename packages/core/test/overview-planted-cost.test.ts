// What one readOverview costs when someone who can write Redis planted big values in the keys it reads:
// series buckets with 20,000 fields, missing-modules sets of 5,000 members, a 2 MB last poll and poll
// error, 150 withdrawn entries of 100 kB. The overview asks only for what pypi-watch writes (known
// fields, the top 50 modules, bounded text), so the bytes it receives stay those of an honest read
// (measured on a connection of its own), and the numbers it shows are still the honest ones.

import type { Redis } from 'ioredis';
import { afterEach, describe, expect, test } from 'vitest';
import { MetricsStore } from '../src/metrics/metrics-store.js';
import { bucketOf } from '../src/metrics/time-series.js';
import { readOverview } from '../src/overview/read-overview.js';
import { redisKeys, type RedisKeys } from '../src/redis/redis-keys.js';
import type { Runtime } from '../src/runtime.js';
import { connectTestRedis, runtimeAfterEach } from '@pypi-watch/test-utils';

const openTestRuntime = runtimeAfterEach();
const connections: Redis[] = [];
afterEach(() => {
  for (const connection of connections.splice(0)) connection.disconnect();
});

/** Bytes Redis sent on a connection of its own during one readOverview, and what it read. */
async function measuredRead(rt: Runtime, now: number) {
  const redis = connectTestRedis();
  connections.push(redis);
  await redis.ping();
  const socket = (redis as unknown as { stream: { bytesRead: number } }).stream;
  const before = socket.bytesRead;
  const overview = await readOverview({ ...rt, redis }, now);
  return { bytes: socket.bytesRead - before, overview };
}

async function plant(redis: Redis, keys: RedisKeys, now: number): Promise<void> {
  const hour = bucketOf('hour', now);
  const minute = bucketOf('minute', now);
  const fields: string[] = [];
  for (let i = 0; i < 20_000; i++) fields.push(`planted-${i}`, '1');
  const big = async (key: string) => {
    for (let i = 0; i < fields.length; i += 10_000) await redis.hset(key, ...fields.slice(i, i + 10_000));
  };
  for (let b = 0; b < 48; b++) await big(keys.seriesBucket('hour', hour - b));
  for (let b = 0; b < 3; b++) await big(keys.seriesBucket('minute', minute - b));
  const members: Array<string | number> = [];
  for (let i = 0; i < 5_000; i++) members.push(1, `planted_module_${i}`);
  for (let b = 0; b < 24; b++) await redis.zadd(keys.seriesMissingModules(hour - b), ...members);
  const pad = 'x'.repeat(2_000_000);
  await redis.set(keys.lastPoll, JSON.stringify({ source: 'changelog', startedAt: new Date(now).toISOString(), lag: 1, pad }));
  await redis.hset(keys.metricsCounters, 'poll:last-failure-ms', String(now - 1000), 'poll:last-failure-error', `planted ${pad}`);
  const entry = JSON.stringify({ at: now, normalized: 'planted', reason: 'yanked', pad: pad.slice(0, 100_000) });
  for (let i = 0; i < 150; i += 15) await redis.rpush(keys.withdrawnAfterSubmit, ...Array<string>(15).fill(entry));
}

describe('readOverview over planted values', () => {
  test('receives about what an honest read receives, and shows the honest numbers', async () => {
    const { setup, runtime } = await openTestRuntime();
    const keys = redisKeys(setup.prefix);
    // The submits are dated a minute before `now` and looked for in now's hour: in an hour's first
    // minutes they would land in the hour before (a run at 15:00:30 failed so), so read as of 3 min earlier.
    const wall = Date.now();
    const now = wall % 3_600_000 < 120_000 ? wall - 180_000 : wall;
    const store = new MetricsStore({ redis: runtime.redis, keys, now: () => now - 60_000 });
    await store.recordSubmit('succeeded', 900, { releaseToStartSeconds: 60 });
    await store.recordSubmit('failed', 900);
    await store.recordResult('failure', 'missing-dependency', { submitToResultSeconds: 600, missingModules: ['flit_core'] });
    await runtime.redis.rpush(keys.withdrawnAfterSubmit, JSON.stringify({ at: now - 1000, normalized: 'yanked-one', reason: 'yanked' }));

    const honest = await measuredRead(runtime, now);
    await plant(runtime.redis, keys, now);
    const planted = await measuredRead(runtime, now);

    // Without the bounds this read receives some 30 MB: every planted field, member and byte.
    expect(planted.bytes).toBeLessThan(2 * honest.bytes + 64 * 1024);
    const view = (o: typeof honest.overview) => ({
      hour: o.hourly.at(-1),
      minute: o.minutely.at(-2),
      latency: o.latency,
      today: o.daily.at(-1),
    });
    expect(view(planted.overview)).toEqual(view(honest.overview));
    expect(honest.overview.hourly.at(-1)).toMatchObject({ submitsStarted: 2, submitsFailed: 1 });
    expect(honest.overview.latency.releaseToSubmit.count).toBe(1);
    expect(honest.overview.attention.map((a) => a.what)).toContain(
      '1 of 1 builds failed in the last 24 h; most missed modules: flit_core (1)',
    );
    // (Planted modules are read as the writer keeps them, the top 50 of each hour: they may crowd the list, not the read.)
    const what = planted.overview.attention.map((a) => a.what).join('\n');
    expect(what).toContain('1 of 1 builds failed in the last 24 h');
    expect(what).toContain('yanked-one (every release) was built, then yanked upstream');
    // Planted text is cut in Redis, not received whole: the poll error is bounded, oversized entries are skipped.
    expect(planted.overview.lastPoll?.error?.length).toBeLessThanOrEqual(300);
    expect(what).not.toContain('planted was built');
  }, 120_000);

  test('a last poll as big as pypi-watch writes one (an RSS cursor of 500 seen titles of 512 characters, before and after) is read', async () => {
    const { setup, runtime } = await openTestRuntime();
    const keys = redisKeys(setup.prefix);
    const now = Date.now();
    const seen = Array.from({ length: 500 }, (_, i): [string, number] => [`${'n'.repeat(500)} ${i}.0`, now / 1000]);
    const cursor = { time: Math.floor(now / 1000), namesAtTime: [], seen };
    const poll = {
      source: 'rss',
      startedAt: new Date(now).toISOString(),
      found: 3,
      queued: 2,
      cursorBefore: cursor,
      cursorAfter: cursor,
      gap: false,
      lag: 4,
    };
    const json = JSON.stringify(poll);
    expect(json.length).toBeGreaterThan(500_000);
    await runtime.redis.set(keys.lastPoll, json);
    const { overview } = await measuredRead(runtime, now);
    expect(overview.lastPoll).toMatchObject({ ok: true, found: 3, queued: 2, gap: false });
    expect(overview.lag).toEqual({ value: 4, unit: 'seconds' });
  });
});
