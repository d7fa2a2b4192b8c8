// What every pypi-watch process opens first: a Redis (given or embedded), the queues, a logger.

import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { Config } from './config/load-config.js';
import type { Logger } from './logging/logger.js';
import { createQueues, type Queues } from './queues/queues.js';
import { findRunningEmbeddedRedis, startEmbeddedRedis, type EmbeddedRedis } from './redis/embedded-redis.js';
import { connectRedis, redactRedisUrl } from './redis/redis-connection.js';

export interface Runtime {
  readonly config: Config;
  readonly logger: Logger;
  /** For pypi-watch's own keys (cursor, dedupe, poll state). BullMQ gets the same connection. */
  readonly redis: Redis;
  readonly redisUrl: string;
  readonly queues: Queues;
  /** Set when this process started the embedded redis-server (and so stops it on close). */
  readonly embedded: EmbeddedRedis | undefined;
  close(): Promise<void>;
}

export interface OpenRuntimeOptions {
  readonly config: Config;
  readonly logger: Logger;
  /** Name on the Redis connection (CLIENT LIST), e.g. `pypi-watch:worker`. */
  readonly connectionName?: string;
}

/** `<dataDir>/redis`: where the embedded server keeps its AOF and endpoint file. */
export function embeddedRedisDir(config: Config): string {
  return join(config.dataDir, 'redis');
}

export async function openRuntime(options: OpenRuntimeOptions): Promise<Runtime> {
  const { config, logger } = options;
  let embedded: EmbeddedRedis | undefined;
  let url = config.redis.url;
  if (url === undefined) {
    const dir = embeddedRedisDir(config);
    url = await findRunningEmbeddedRedis(dir);
    if (url) {
      logger.debug({ redis: url }, 'using the embedded redis-server another pypi-watch process runs');
    } else {
      embedded = await startEmbeddedRedis({ dir });
      url = embedded.url;
      logger.info({ redis: url, dir }, 'started embedded redis-server');
    }
  }
  let redis: Redis;
  try {
    redis = await connectRedis({ url, connectionName: options.connectionName ?? 'pypi-watch' });
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
  redis.on('error', (error) => logger.warn({ err: error, redis: redactRedisUrl(url) }, 'redis connection error'));
  const queues = createQueues(redis, config);
  // Without a listener BullMQ prints connection errors to stderr as raw stack traces.
  for (const queue of queues.all) {
    queue.on('error', (error: Error) => logger.warn({ err: error, queue: queue.name }, 'queue connection error'));
  }
  return {
    config,
    logger,
    redis,
    redisUrl: url,
    queues,
    embedded,
    close: async () => {
      await queues.close();
      // QUIT can wait forever on a Cluster whose slots are being refreshed: bound it, then drop.
      const quit = redis.quit().then(
        () => true,
        () => false,
      );
      const quitInTime = await Promise.race([quit, new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 2000).unref())]);
      if (!quitInTime) redis.disconnect();
      if (embedded) {
        await embedded.stop();
        logger.info('stopped embedded redis-server');
      }
    },
  };
}
