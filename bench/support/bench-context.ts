// What every benchmark shares in one run: a temp folder, the run's own redis-server and a client on it.

import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createLogger, startEmbeddedRedis, type EmbeddedRedis, type Logger } from '../../packages/core/src/index.js';

export interface BenchContext {
  /** Temp folder for this run: Redis files, configs, data dirs, logs. Removed at the end. */
  readonly dir: string;
  /** The run's redis-server (free loopback port, no AOF). */
  readonly redis: EmbeddedRedis;
  /** A plain client on it, for set-up, raw baselines and FLUSHALL between measurements. */
  readonly client: Redis;
  /** pino at info, into `<dir>/bench.log`: logging costs what it costs in production. */
  readonly logger: Logger;
  /** `--quick`: smaller sizes, for trying the harness; not the measurement. */
  readonly quick: boolean;
  /** Measurements one benchmark reuses from another in the same run (e.g. poll times by size). */
  readonly shared: Map<string, unknown>;
}

export async function openBenchContext(options: { quick: boolean }): Promise<BenchContext & { close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'pypi-watch-bench-'));
  const redis = await startEmbeddedRedis({ dir: join(dir, 'redis'), appendOnly: false });
  const client = new Redis(redis.url, { maxRetriesPerRequest: null });
  const log: WriteStream = createWriteStream(join(dir, 'bench.log'));
  return {
    dir,
    redis,
    client,
    logger: createLogger({ level: 'info', destination: log, base: { app: 'bench' } }),
    quick: options.quick,
    shared: new Map(),
    close: async () => {
      client.disconnect();
      await redis.stop();
      await new Promise<void>((resolve) => log.end(resolve));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Empties the run's Redis (and waits for it), so one measurement's keys never weigh on the next. */
export async function flushRedis(context: BenchContext): Promise<void> {
  await context.client.flushall('SYNC');
}
