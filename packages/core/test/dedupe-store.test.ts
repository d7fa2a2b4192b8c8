import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { DedupeStore, releaseKey } from '../src/dedupe/dedupe-store.js';
import { redisKeys } from '../src/redis/redis-keys.js';
import { startEmbeddedRedis } from '../src/redis/embedded-redis.js';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '@pypi-watch/test-utils';

const DAY_MS = 86_400_000;
const START_MS = 1_775_000_000_000;

let redis: Redis;
let prefix: string;
let clock: number;

beforeAll(() => {
  redis = connectTestRedis();
});

afterAll(async () => {
  await redis.quit();
});

beforeEach(() => {
  prefix = uniquePrefix();
  clock = START_MS;
});

afterEach(async () => {
  await deleteKeysWithPrefix(redis, prefix);
});

function store(options: { prefix?: string; ttlMs?: number; shardCount?: number } = {}): DedupeStore {
  return new DedupeStore({
    redis,
    keys: redisKeys(options.prefix ?? prefix),
    ttlMs: options.ttlMs ?? 30 * DAY_MS,
    now: () => clock,
    ...(options.shardCount === undefined ? {} : { shardCount: options.shardCount }),
  });
}

describe('DedupeStore', () => {
  test('a marked key is seen; others stay unseen; duplicates in one call count once', async () => {
    const dedupe = store();
    expect(await dedupe.filterUnseen(['numpy==2.0', 'numpy==2.0', 'requests==2.32.3'])).toEqual(
      new Set(['numpy==2.0', 'requests==2.32.3']),
    );
    await dedupe.markSeen(['numpy==2.0', 'numpy==2.0']);
    expect(await dedupe.filterUnseen(['numpy==2.0', 'requests==2.32.3', 'numpy==2.0.1'])).toEqual(
      new Set(['requests==2.32.3', 'numpy==2.0.1']),
    );
    expect(await dedupe.size()).toBe(1);
    expect(await dedupe.describe('numpy==2.0')).toBe(START_MS);
    expect(await dedupe.describe('requests==2.32.3')).toBeUndefined();
    expect(releaseKey('zope-interface', '7.0')).toBe('zope-interface==7.0');
  });

  test('every key lives under the prefix, in a bounded number of shards', async () => {
    const dedupe = store();
    await dedupe.markSeen(Array.from({ length: 5000 }, (_, index) => `pkg-${index}==1.0`));
    const keys = await redis.keys(`*${prefix}*`);
    expect(keys.length).toBeGreaterThan(100);
    expect(keys.length).toBeLessThanOrEqual(16_384);
    for (const key of keys) expect(key.startsWith(`{${prefix}}:dedupe:`)).toBe(true);
    expect(await dedupe.size()).toBe(5000);
  });

  test('entries past the TTL count as unseen before any trim', async () => {
    const dedupe = store({ ttlMs: DAY_MS });
    await dedupe.markSeen(['old==1.0']);
    clock += DAY_MS - 1000;
    expect(await dedupe.filterUnseen(['old==1.0'])).toEqual(new Set());
    clock += 1000;
    expect(await dedupe.filterUnseen(['old==1.0'])).toEqual(new Set(['old==1.0']));
    await dedupe.markSeen(['old==1.0']); // marking again restarts the TTL
    expect(await dedupe.filterUnseen(['old==1.0'])).toEqual(new Set());
  });

  test('trimExpired removes only expired entries and returns how many', async () => {
    const dedupe = store({ ttlMs: DAY_MS });
    await dedupe.markSeen(['a==1', 'b==1', 'c==1']);
    clock += DAY_MS / 2;
    await dedupe.markSeen(['d==1', 'e==1']);
    clock += DAY_MS / 2;
    expect(await dedupe.countExpired()).toBe(3);
    expect(await dedupe.size()).toBe(5);
    expect(await dedupe.trimExpired()).toBe(3);
    expect(await dedupe.size()).toBe(2);
    expect(await dedupe.describe('a==1')).toBeUndefined();
    expect(await dedupe.filterUnseen(['a==1', 'd==1', 'e==1'])).toEqual(new Set(['a==1']));
    expect(await dedupe.trimExpired()).toBe(0);
  });

  test('a Redis that has never seen the scripts gets them sent (NOSCRIPT fallback)', async () => {
    // A private server: flushing the shared one's script cache would disturb other test files.
    const dir = await mkdtemp(join(tmpdir(), 'pypi-watch-dedupe-'));
    const server = await startEmbeddedRedis({ dir, appendOnly: false });
    const fresh = new Redis(server.url);
    try {
      const dedupe = new DedupeStore({ redis: fresh, keys: redisKeys('fresh'), ttlMs: DAY_MS, now: () => clock, shardCount: 8 });
      await dedupe.markSeen(['a==1', 'b==1']);
      expect(await dedupe.filterUnseen(['a==1', 'c==1'])).toEqual(new Set(['c==1']));
      clock += DAY_MS;
      expect(await dedupe.trimExpired()).toBe(2);
      const stats = await fresh.info('commandstats');
      expect(stats).toMatch(/cmdstat_evalsha:calls=\d+,.*failed_calls=[1-9]/);
      expect(stats).toMatch(/cmdstat_eval:calls=[1-9]/);
    } finally {
      await fresh.quit();
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a shard holding thousands of entries still works (scripts slice their arguments)', async () => {
    const dedupe = store({ shardCount: 1, ttlMs: DAY_MS });
    const keys = Array.from({ length: 2500 }, (_, index) => `p-${index}==1.0`);
    await dedupe.markSeen(keys.slice(0, 2400));
    expect(await dedupe.filterUnseen(keys)).toEqual(new Set(keys.slice(2400)));
    clock += DAY_MS;
    expect(await dedupe.trimExpired()).toBe(2400);
    expect(await dedupe.size()).toBe(0);
  });

  test('stores under different prefixes do not see each other', async () => {
    const other = uniquePrefix();
    try {
      await store().markSeen(['numpy==2.0']);
      expect(await store({ prefix: other }).filterUnseen(['numpy==2.0'])).toEqual(new Set(['numpy==2.0']));
      expect(await store({ prefix: other }).size()).toBe(0);
    } finally {
      await deleteKeysWithPrefix(redis, other);
    }
  });

  test('keys too long for a compact hash field still round-trip', async () => {
    const dedupe = store();
    const long = releaseKey('a'.repeat(150), `1.0.${'9'.repeat(60)}`);
    await dedupe.markSeen([long]);
    expect(await dedupe.filterUnseen([long, `${long}1`])).toEqual(new Set([`${long}1`]));
    expect(await dedupe.describe(long)).toBe(START_MS);
  });

  test('handles 100,000 keys in one call', async () => {
    const dedupe = store();
    const keys = Array.from({ length: 100_000 }, (_, index) => releaseKey(`project-${index % 20_000}`, `1.${Math.floor(index / 20_000)}`));
    expect((await dedupe.filterUnseen(keys)).size).toBe(100_000);
    await dedupe.markSeen(keys.slice(0, 60_000));
    const unseen = await dedupe.filterUnseen(keys);
    expect(unseen.size).toBe(40_000);
    expect(unseen.has(keys[59_999]!)).toBe(false);
    expect(unseen.has(keys[60_000]!)).toBe(true);
    expect(await dedupe.size()).toBe(60_000);
  });

  test('rejects bad options', () => {
    expect(() => new DedupeStore({ redis, keys: redisKeys('x'), ttlMs: 0 })).toThrow(/`ttlMs` to be a positive integer/);
  });
});
