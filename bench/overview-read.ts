// The overview's time series at steady state: Redis bytes of 90 days of hour buckets and 48 hours of
// minute buckets (filled the way MetricsStore writes them, at a PyPI-like rate), and what one full
// readOverview costs: commands Redis ran and milliseconds (median of 20).

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createQueues, loadConfig, readOverview, redisKeys, startEmbeddedRedis } from '../packages/core/src/index.js';
import { addToSeries, SERIES_RESOLUTIONS } from '../packages/core/src/metrics/time-series.js';
import { MISSING_MODULES_KEEP_MS } from '../packages/core/src/metrics/metrics-store.js';
import type { BenchContext } from './support/bench-context.js';
import { count, millis, type Benchmark } from './support/results.js';

const HOUR = 3_600_000;
/** Per hour, roughly PyPI's rate through one watcher: two polls, 60 submits, 60 build outcomes. */
const PER_HOUR = { polls: 2, submits: 60, failedSubmits: 5, results: 60, failures: 15, missing: 10 };
const KINDS = ['missing-dependency', 'spec-needs-repair', 'other', 'repo-outage'];
const READS = 20;

export const overviewRead: Benchmark = {
  name: 'overview-read',
  title: 'Overview: Redis bytes of the time series at steady state, one full readOverview',
  async run(context) {
    const result = await measure(context);
    return {
      rows: [
        {
          metric: 'time series: Redis bytes, 90 days hourly + 48 h by minute (used_memory delta)',
          measured: `${(result.deltaBytes / 1024 / 1024).toFixed(2)} MiB`,
          baseline: `${count(result.keys)} keys, ${result.encodings}`,
        },
        {
          metric: 'one readOverview (90 days): commands, median ms of 20',
          measured: millis(result.medianMs),
          baseline: `${count(result.commands)} commands, max ${millis(result.maxMs)}`,
        },
      ],
      details: result,
    };
  },
};

async function measure(context: BenchContext) {
  // Its own server: nothing else's keys in the memory delta, and packaged Redis' listpack limits.
  const server = await startEmbeddedRedis({
    dir: join(context.dir, 'redis-overview'),
    appendOnly: false,
    extraArgs: ['--hash-max-listpack-entries', '128', '--hash-max-listpack-value', '64'],
  });
  const redis = new Redis(server.url, { maxRetriesPerRequest: null });
  const prefix = 'pypi-watch';
  const keys = redisKeys(prefix);
  const configFile = join(context.dir, 'overview-read.yaml');
  await writeFile(configFile, JSON.stringify({ redis: { url: server.url, prefix }, dataDir: join(context.dir, 'overview-var') }));
  const config = loadConfig({ file: configFile, env: {}, cwd: context.dir });
  const queues = createQueues(redis, config);
  try {
    const now = Date.now();
    const before = await usedMemory(redis);
    let seed = 1;
    const random = (): number => (seed = (seed * 48_271) % 2_147_483_647) / 2_147_483_647;
    const lognormal = (medianSeconds: number): number =>
      medianSeconds * Math.exp(1.2 * Math.sqrt(-2 * Math.log(random() || 1e-9)) * Math.cos(2 * Math.PI * random()));
    const hours = SERIES_RESOLUTIONS.hour.keepMs / HOUR;
    for (let h = hours - 1; h >= 0; h--) {
      const start = Math.floor(now / HOUR) * HOUR - h * HOUR;
      const at = (): number => Math.min(now, start + Math.floor(random() * HOUR));
      const pipeline = redis.pipeline();
      for (let i = 0; i < PER_HOUR.polls; i++) {
        addToSeries(pipeline, keys, at(), { counts: { found: 75, queued: 60, waiting: 10, filtered: 3, superseded: 2 } });
      }
      for (let i = 0; i < PER_HOUR.submits; i++) {
        const failed = i < PER_HOUR.failedSubmits;
        addToSeries(pipeline, keys, at(), {
          counts: { 'submits-started': 1, 'submits-failed': failed ? 1 : 0 },
          latency: { releaseToSubmit: lognormal(120) },
        });
      }
      for (let i = 0; i < PER_HOUR.results; i++) {
        const failure = i < PER_HOUR.failures;
        addToSeries(pipeline, keys, at(), {
          counts: failure ? { 'builds-failure': 1 } : { 'builds-success': 1 },
          ...(failure ? { failureKind: KINDS[i % KINDS.length]! } : {}),
          latency: { submitToResult: lognormal(3600) },
        });
      }
      if (h < 25) {
        const key = keys.seriesMissingModules(Math.floor(start / HOUR));
        for (let i = 0; i < PER_HOUR.missing; i++) pipeline.zincrby(key, 1, `module_${Math.floor(random() * 200)}`);
        pipeline.pexpireat(key, start + HOUR + MISSING_MODULES_KEEP_MS);
      }
      await pipeline.exec();
    }
    const after = await usedMemory(redis);
    const keyCount = await redis.dbsize();
    const encodings = new Set<string>();
    for (const key of [keys.seriesBucket('hour', Math.floor(now / HOUR)), keys.seriesBucket('minute', Math.floor(now / 60_000) - 5)]) {
      encodings.add(`${key.split(':').at(-2)} ${String(await redis.object('ENCODING', key))} (${await redis.hlen(key)} fields)`);
    }

    const runtime = { config, redis, queues, stores: { keys } };
    await readOverview(runtime, now); // warm: scripts loaded, connection ready
    const commandsBefore = await totalCommands(redis);
    await readOverview(runtime, now);
    // Less the INFO call that reads the count.
    const commands = (await totalCommands(redis)) - commandsBefore - 1;
    const times: number[] = [];
    for (let i = 0; i < READS; i++) {
      const started = performance.now();
      await readOverview(runtime, now);
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    return {
      deltaBytes: after - before,
      keys: keyCount,
      encodings: [...encodings].join(', '),
      commands,
      medianMs: times[Math.floor(times.length / 2)]!,
      maxMs: times[times.length - 1]!,
    };
  } finally {
    await queues.close();
    redis.disconnect();
    await server.stop();
  }
}

async function usedMemory(redis: Redis): Promise<number> {
  return Number(/^used_memory:(\d+)/m.exec(await redis.info('memory'))?.[1]);
}

async function totalCommands(redis: Redis): Promise<number> {
  return Number(/^total_commands_processed:(\d+)/m.exec(await redis.info('stats'))?.[1]);
}
