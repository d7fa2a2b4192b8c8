// Redis URLs reach error messages and logs: a password must not, whatever characters it holds.

import { describe, expect, test } from 'vitest';
import { ConfigError } from '../src/errors.js';
import { connectRedis, parseRedisTarget, redactRedisUrl } from '../src/redis/redis-connection.js';

/** Each password is built from distinctive fragments, so "no part of it" is checkable. */
const HOSTILE: ReadonlyArray<{ url: string; secrets: readonly string[]; masked: string }> = [
  { url: 'redis://:AAA1@BBB2/CCC3@127.0.0.1:6379/0', secrets: ['AAA1', 'BBB2', 'CCC3'], masked: 'redis://:***@127.0.0.1:6379/0' },
  {
    url: 'redis://alice:DDD4@EEE5@FFF6@redis.internal:6380',
    secrets: ['DDD4', 'EEE5', 'FFF6'],
    masked: 'redis://alice:***@redis.internal:6380',
  },
  {
    url: 'rediss://bob:GGG7/HHH8:III9#JJJ0@cache.example:6390/2',
    secrets: ['GGG7', 'HHH8', 'III9', 'JJJ0'],
    masked: 'rediss://bob:***@cache.example:6390/2',
  },
  {
    url: 'redis+cluster://carol:KKK1#LLL2?MMM3@h1:7000,h2:7001',
    secrets: ['KKK1', 'LLL2', 'MMM3'],
    masked: 'redis+cluster://carol:***@h1:7000,h2:7001',
  },
  { url: 'redis://:NNN4%40OOO5%2FPPP6@127.0.0.1:6379', secrets: ['NNN4', 'OOO5', 'PPP6'], masked: 'redis://:***@127.0.0.1:6379' },
  // No colon: the whole userinfo may be the secret.
  { url: 'redis://QQQ7@127.0.0.1:6379', secrets: ['QQQ7'], masked: 'redis://***@127.0.0.1:6379' },
  { url: 'redis://:RRR8@SSS9@[::1]:6379/3?family=6', secrets: ['RRR8', 'SSS9'], masked: 'redis://:***@[::1]:6379/3?family=6' },
  { url: 'rediss+cluster://:TTT1/UUU2@@@VVV3@h:1', secrets: ['TTT1', 'UUU2', 'VVV3'], masked: 'rediss+cluster://:***@h:1' },
  // A "username" holding an `@` is most likely a password typed without its leading colon.
  { url: 'redis://WWW4@XXX5:YYY6@host:1', secrets: ['WWW4', 'XXX5', 'YYY6'], masked: 'redis://***@host:1' },
  // ioredis also reads a password from the query string.
  {
    url: 'redis://127.0.0.1:6379/0?password=ZZZ7/ZZZ8&family=4',
    secrets: ['ZZZ7', 'ZZZ8'],
    masked: 'redis://127.0.0.1:6379/0?password=***&family=4',
  },
];

describe('redactRedisUrl', () => {
  test.each(HOSTILE)('$url', ({ url, secrets, masked }) => {
    const redacted = redactRedisUrl(url);
    for (const secret of secrets) expect(redacted).not.toContain(secret);
    expect(redacted).toBe(masked);
  });

  test('leaves URLs without credentials alone', () => {
    for (const url of ['redis://127.0.0.1:6379', 'redis+cluster://h1:1,h2:2', 'rediss://cache.example:6380/4?family=6']) {
      expect(redactRedisUrl(url)).toBe(url);
    }
  });
});

describe('a raw `/`, `?` or `#` in a password', () => {
  test('fails with a config error asking to percent-encode it, naming no part of it', async () => {
    const url = 'redis://:AAA1@BBB2/CCC3#DDD4@127.0.0.1:1';
    const error = await connectRedis({ url, connectTimeoutMs: 500 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/percent-encode/);
    for (const secret of ['AAA1', 'BBB2', 'CCC3', 'DDD4']) expect((error as Error).message).not.toContain(secret);
  });

  test('a Redis Cluster URL keeps a password with `@` and `:` whole', () => {
    expect(parseRedisTarget('redis+cluster://u:p@ss:w%2Frd@h1:7000,h2:7001')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'h1', port: 7000 },
        { host: 'h2', port: 7001 },
      ],
      tls: false,
      username: 'u',
      password: 'p@ss:w/rd',
    });
  });
});
