// What a test reads back from Redis to prove a secret (a webhook token, an API key) was never stored:
// every key under a test's prefix and its whole value, whatever the type, so no kind of key is skipped.

import { connectTestRedis } from './test-redis.js';

/**
 * Key → value as text of every key containing `prefix` (BullMQ's hash-tagged ones too): strings as
 * stored, other types as JSON (hashes, lists, sets, sorted sets with scores, streams). A type this does
 * not read throws, so a new kind of key cannot hide a secret from the tests.
 */
export async function dumpRedisPrefix(prefix: string): Promise<Map<string, string>> {
  const redis = connectTestRedis();
  const dump = new Map<string, string>();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const type = await redis.type(key);
        let value: string | null;
        switch (type) {
          case 'string':
            value = await redis.get(key);
            break;
          case 'hash':
            value = JSON.stringify(await redis.hgetall(key));
            break;
          case 'list':
            value = JSON.stringify(await redis.lrange(key, 0, -1));
            break;
          case 'set':
            value = JSON.stringify(await redis.smembers(key));
            break;
          case 'zset':
            value = JSON.stringify(await redis.zrange(key, 0, -1, 'WITHSCORES'));
            break;
          case 'stream':
            value = JSON.stringify(await redis.xrange(key, '-', '+'));
            break;
          case 'none':
            continue; // expired or removed meanwhile
          default:
            throw new Error(`key ${key} has type ${type}, which this dump does not read`);
        }
        if (value !== null) dump.set(key, value);
      }
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return dump;
}

/** Every value under the prefix, one per line: for `expect(text).not.toContain(secret)`. */
export async function redisValuesText(prefix: string): Promise<string> {
  return [...(await dumpRedisPrefix(prefix)).values()].join('\n');
}
