// Benchmark 5: Redis bytes per dedupe entry at 1,000,000 entries (on a redis-server with packaged
// Redis' listpack limits), and the peak RSS of a `pypi-watch worker` working through a 100,000-job backlog.

import { join } from 'node:path';
import { Redis } from 'ioredis';
import { DedupeStore, openRuntime, redisKeys, startEmbeddedRedis } from '../packages/core/src/index.js';
import { flushRedis, type BenchContext } from './support/bench-context.js';
import { enqueueBacklog } from './support/backlog.js';
import { writeBenchConfig } from './support/bench-config.js';
import { atMost, bytes, count, megabytes, timed, type Benchmark } from './support/results.js';
import { readMemory, spawnSubmitWorker } from './support/worker-processes.js';

const BYTES_PER_ENTRY_TARGET = 100;
/** Issue 16 (round one's was 200 MB). */
const RSS_TARGET = 150 * 1024 * 1024;
const SAMPLE_MS = 10_000;

export const memory: Benchmark = {
  name: 'memory',
  title: 'Memory: dedupe bytes per entry, worker RSS',
  async run(context) {
    const entries = context.quick ? 100_000 : 1_000_000;
    const backlog = context.quick ? 10_000 : 100_000;
    const dedupe = await dedupeBytesPerEntry(context, entries);
    const worker = await workerPeakRss(context, backlog);
    return {
      rows: [
        {
          metric: `dedupe: Redis bytes per entry at ${count(entries)} (used_memory delta)`,
          measured: `${megabytes(dedupe.deltaBytes)} for ${count(entries)}`,
          baseline: `keys avg ${dedupe.averageKeyBytes.toFixed(1)} B, ${dedupe.encoding}`,
          ...atMost(dedupe.deltaBytes / entries, BYTES_PER_ENTRY_TARGET, bytes),
        },
        {
          metric: `worker peak RSS (VmHWM), ${count(backlog)}-job backlog, ${SAMPLE_MS / 1000} s`,
          measured: `${count(worker.processed)} jobs done`,
          baseline: `RSS now ${megabytes(worker.lastRss)}`,
          ...atMost(worker.peak, RSS_TARGET, megabytes),
        },
      ],
      details: { dedupe: { entries, ...dedupe, bytesPerEntry: dedupe.deltaBytes / entries }, worker: { backlog, ...worker } },
    };
  },
};

async function dedupeBytesPerEntry(context: BenchContext, entries: number) {
  // Its own server: nothing else's keys in the delta, and the hash limits packaged Redis ships with.
  const server = await startEmbeddedRedis({
    dir: join(context.dir, 'redis-dedupe'),
    appendOnly: false,
    extraArgs: ['--hash-max-listpack-entries', '128', '--hash-max-listpack-value', '64'],
  });
  const redis = new Redis(server.url, { maxRetriesPerRequest: null });
  try {
    const store = new DedupeStore({ redis, keys: redisKeys('pypi-watch'), ttlMs: 30 * 86_400_000 });
    // Names and versions shaped like PyPI's: `name==version`, ~20 bytes.
    const keys = Array.from(
      { length: entries },
      (_, index) => `project-${index.toString(36)}==${1 + (index % 9)}.${index % 23}.${index % 7}`,
    );
    const averageKeyBytes = keys.reduce((sum, key) => sum + key.length, 0) / keys.length;
    const before = await usedMemory(redis);
    const marked = await timed(() => store.markSeen(keys));
    const after = await usedMemory(redis);
    const size = await store.size();
    if (size !== entries) throw new Error(`dedupe holds ${size} entries, expected ${entries}`);
    const encodings = new Set<string>();
    for (const shard of [0, 1, 4095, 16_383])
      encodings.add(String(await redis.object('ENCODING', redisKeys('pypi-watch').dedupeShard(shard))));
    return { deltaBytes: after - before, averageKeyBytes, markSeenMs: marked.ms, encoding: [...encodings].join('/') };
  } finally {
    redis.disconnect();
    await server.stop();
  }
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1]);
}

async function workerPeakRss(context: BenchContext, backlog: number) {
  const setup = await writeBenchConfig(context, 'rss', {
    submit: { concurrency: 8, rateLimit: { max: 1_000_000_000, duration: '1s' } },
    shutdown: { timeout: '5s' },
  });
  const runtime = await openRuntime({ config: setup.config, logger: context.logger });
  await enqueueBacklog(runtime.queues.submit, setup.config.submit.targets, backlog);
  const worker = spawnSubmitWorker({ configFile: setup.configFile, logFile: join(setup.dir, 'worker.log') });
  try {
    await worker.ready;
    let peak = 0;
    let lastRss = 0;
    const until = Date.now() + SAMPLE_MS;
    while (Date.now() < until) {
      const memory = await readMemory(worker.pid);
      if (!memory) throw new Error(`worker ${worker.pid} exited; see ${setup.dir}/worker.log`);
      peak = Math.max(peak, memory.hwm, memory.rss);
      lastRss = memory.rss;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const processed = (await runtime.queues.submit.getJobCountByTypes('completed')) ?? 0;
    return { peak, lastRss, processed };
  } finally {
    await worker.stop();
    await runtime.close();
    await flushRedis(context);
  }
}
