// Redis connections for BullMQ and for pypi-watch's own keys.

import { Redis, type RedisOptions } from 'ioredis';
import { RedisUnavailableError } from '../errors.js';

export interface RedisConnectionOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…`. */
  readonly url: string;
  /** Label in errors and logs. @defaultValue 'pypi-watch' */
  readonly connectionName?: string;
  /** How long the first connection may take before start-up fails. @defaultValue 5000 (ms) */
  readonly connectTimeoutMs?: number;
}

/** The URL with any password replaced, safe for messages and logs. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '(unparsable Redis URL)';
  }
}

/**
 * A connection as BullMQ wants it: `maxRetriesPerRequest: null` so commands wait through a
 * reconnect instead of failing, and a capped backoff so a Redis restart is ridden out.
 */
export function createRedisClient(options: RedisConnectionOptions): Redis {
  const redisOptions: RedisOptions = {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    connectionName: options.connectionName ?? 'pypi-watch',
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 6), 5000),
    lazyConnect: true,
  };
  return new Redis(options.url, redisOptions);
}

/**
 * Connects and PINGs once, so a wrong URL fails at start with a message naming it,
 * instead of as endless reconnect attempts.
 */
export async function connectRedis(options: RedisConnectionOptions): Promise<Redis> {
  const client = createRedisClient(options);
  const timeoutMs = options.connectTimeoutMs ?? 5000;
  let lastError: Error | undefined;
  const onError = (error: Error): void => {
    lastError = error;
  };
  client.on('error', onError);
  try {
    await withTimeout(client.connect().then(() => client.ping()), timeoutMs);
  } catch (error) {
    client.disconnect();
    const reason = lastError?.message ?? (error as Error).message;
    throw new RedisUnavailableError(`cannot connect to Redis at ${redactRedisUrl(options.url)}: ${reason}`, {
      cause: lastError ?? error,
    });
  } finally {
    client.off('error', onError);
  }
  return client;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
