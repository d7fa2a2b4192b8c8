import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, test } from 'vitest';
import { RedisNotInstalledError } from '../src/errors.js';
import { findRunningEmbeddedRedis, startEmbeddedRedis, type EmbeddedRedis } from '../src/redis/embedded-redis.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pypi-watch-embedded-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('embedded redis-server', () => {
  test('keeps data across a restart through its AOF', async () => {
    const dir = await tempDir();
    let server: EmbeddedRedis = await startEmbeddedRedis({ dir });
    let client = new Redis(server.url);
    await client.set('kept', 'yes');
    client.disconnect();
    await server.stop();

    server = await startEmbeddedRedis({ dir });
    cleanups.push(() => server.stop());
    client = new Redis(server.url);
    expect(await client.get('kept')).toBe('yes');
    client.disconnect();
  });

  test('keeps MULTI/EXEC writes (BullMQ uses them) across an AOF restart, whatever its ACL users', async () => {
    const dir = await tempDir();
    let server: EmbeddedRedis = await startEmbeddedRedis({ dir });
    let client = new Redis(server.url);
    await client.multi().set('in-exec', 'yes').incr('counter').exec();
    client.disconnect();
    await server.stop();

    server = await startEmbeddedRedis({ dir });
    cleanups.push(() => server.stop());
    client = new Redis(server.url);
    expect(await client.mget('in-exec', 'counter')).toEqual(['yes', '1']);
    client.disconnect();
  });

  test('publishes its endpoint for other commands on the same data dir', async () => {
    const dir = await tempDir();
    expect(await findRunningEmbeddedRedis(dir)).toBeUndefined();
    const server = await startEmbeddedRedis({ dir, appendOnly: false });
    expect(await findRunningEmbeddedRedis(dir)).toBe(server.url);
    await server.stop();
    expect(await findRunningEmbeddedRedis(dir)).toBeUndefined();
  });

  test('says how to install redis-server when it is missing', async () => {
    const dir = await tempDir();
    const error = await startEmbeddedRedis({ dir, executable: 'redis-server-that-does-not-exist' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisNotInstalledError);
    expect((error as Error).message).toMatch(/apt-get install redis-server/);
    expect((error as Error).message).toMatch(/REDIS_URL/);
  });
});
