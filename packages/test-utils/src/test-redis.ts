// Per-test Redis access: a unique key prefix on the run's redis-server, removed afterwards.

import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { inject } from 'vitest';

// What global-setup.ts provides to every test file.
declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

export function testRedisUrl(): string {
  return inject('redisUrl');
}

/** A prefix no other test uses, e.g. `test-1b2c…`. */
export function uniquePrefix(): string {
  return `test-${randomUUID()}`;
}

export function connectTestRedis(): Redis {
  return new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
}

/** Deletes every key that contains the prefix (BullMQ wraps it in a hash tag). */
export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}
