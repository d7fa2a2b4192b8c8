// What every pypi-watch process opens first: a Redis (given or embedded). BullMQ's queues and the
// stores come on top in runtime.ts; a command that only reads (`status`) stops here and never loads
// BullMQ or most of the stores.

import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { settlesWithin } from './async/with-timeout.js';
import type { Config } from './config/load-config.js';
import { UntrustedRedisError } from './errors.js';
import type { Logger } from './logging/logger.js';
import { processAlive } from './process/process-alive.js';
import { QueueStateReader } from './queues/queue-state-reader.js';
import { probeEmbeddedRedis, startEmbeddedRedis, type EmbeddedRedis, type EmbeddedRedisProbe } from './redis/embedded-redis.js';
import { connectRedis, redactRedisUrl } from './redis/redis-connection.js';

export interface Connection {
  readonly config: Config;
  readonly logger: Logger;
  /** For pypi-watch's own keys (cursor, dedupe, poll state). BullMQ gets the same connection. */
  readonly redis: Redis;
  /** May carry a password (the embedded server's always does): log it through `redactRedisUrl`. */
  readonly redisUrl: string;
  /** BullMQ's queue state (counts, schedulers) read without BullMQ. */
  readonly queueState: QueueStateReader;
  /** Set when this process started the embedded redis-server (and so stops it on close). */
  readonly embedded: EmbeddedRedis | undefined;
  close(): Promise<void>;
}

export interface OpenConnectionOptions {
  readonly config: Config;
  readonly logger: Logger;
  /** Name on the Redis connection (CLIENT LIST), e.g. `pypi-watch:worker`. */
  readonly connectionName?: string;
  /**
   * When the embedded server's endpoint file is stale (something that is not our redis-server
   * answers on its port), start a fresh server instead of refusing. `pypi-watch start` sets it:
   * it owns the embedded server. It still refuses while the process the file names runs.
   * @defaultValue false (refuse with UntrustedRedisError)
   */
  readonly replaceStaleEmbeddedRedis?: boolean;
}

/** `<dataDir>/redis`: where the embedded server keeps its AOF and endpoint file. */
export function embeddedRedisDir(config: Config): string {
  return join(config.dataDir, 'redis');
}

export async function openConnection(options: OpenConnectionOptions): Promise<Connection> {
  const { config, logger } = options;
  let embedded: EmbeddedRedis | undefined;
  let url = config.redis.url;
  let reconnectWhile: (() => boolean) | undefined;
  if (url === undefined) {
    const dir = embeddedRedisDir(config);
    const found = await probeEmbeddedRedis(dir);
    if (found.state === 'ours') {
      url = found.url;
      reconnectWhile = embeddedServerAlive(logger, found.endpoint.port, () => processAlive(found.endpoint.pid, { otherUsers: 'gone' }));
      logger.debug({ redis: redactRedisUrl(url) }, 'using the embedded redis-server another pypi-watch process runs');
    } else {
      if (found.state === 'untrusted') {
        if (!options.replaceStaleEmbeddedRedis || found.pidRunning) throw untrustedError(found, options.replaceStaleEmbeddedRedis === true);
        logger.warn(
          { staleEndpoint: { port: found.port, reason: found.reason }, dir },
          'the embedded redis-server endpoint file is stale and another process answers on its port: starting a fresh server',
        );
      }
      embedded = await startEmbeddedRedis({ dir });
      url = embedded.url;
      const server = embedded;
      reconnectWhile = embeddedServerAlive(logger, embedded.port, () => server.isRunning());
      logger.info({ redis: redactRedisUrl(url), dir }, 'started embedded redis-server');
    }
  }
  let redis: Redis;
  try {
    redis = await connectRedis({
      url,
      connectionName: options.connectionName ?? 'pypi-watch',
      ...(reconnectWhile ? { reconnectWhile } : {}),
    });
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
  redis.on('error', (error) => logger.warn({ err: error, redis: redactRedisUrl(url) }, 'redis connection error'));
  const queueState = new QueueStateReader(redis, config.redis.prefix);
  return {
    config,
    logger,
    redis,
    redisUrl: url,
    queueState,
    embedded,
    close: async () => {
      // QUIT can wait forever on a Cluster whose slots are being refreshed: bound it, then drop.
      const quit = redis.quit().then(
        () => true,
        () => false,
      );
      if (!(await settlesWithin(quit, 2000, 'redis QUIT')) || !(await quit)) redis.disconnect();
      if (embedded) {
        await embedded.stop();
        logger.info('stopped embedded redis-server');
      }
    },
  };
}

function untrustedError(found: Extract<EmbeddedRedisProbe, { state: 'untrusted' }>, replacing: boolean): UntrustedRedisError {
  const what =
    `${found.endpointFile} names port ${found.port}, but the server answering there is not the redis-server pypi-watch ` +
    `started: ${found.reason}.`;
  if (replacing) {
    return new UntrustedRedisError(
      `${what} Not starting a second one while process ${found.pid} named in that file is still running: ` +
        `stop it, or delete the file if that process is not pypi-watch's redis-server.`,
    );
  }
  return new UntrustedRedisError(
    `${what} Refusing to use it. If pypi-watch's own redis-server is gone, \`pypi-watch start\` starts a fresh one; ` +
      `otherwise find out what listens on port ${found.port}.`,
  );
}

/**
 * Reconnect to the embedded server only while its process lives: once it is gone, another local
 * user may bind its port, and an open redis-server there would take our AUTH and then our jobs.
 */
function embeddedServerAlive(logger: Logger, port: number, running: () => boolean): () => boolean {
  let reported = false;
  return () => {
    const alive = running();
    if (!alive && !reported) {
      reported = true;
      logger.error({ redis: { port } }, 'the embedded redis-server has exited: not reconnecting to whatever listens on its port now');
    }
    return alive;
  };
}
