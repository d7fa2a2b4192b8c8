// Benchmark 5: Redis bytes per dedupe entry at 1,000,000 entries and per release in the decision log
// at 1,000,000 releases (each on a redis-server with packaged Redis' listpack limits), and the peak RSS
// of a `pypi-watch worker` working through a 100,000-job backlog.

import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Redis } from 'ioredis';
import { DecisionLog, DedupeStore, openRuntime, redisKeys, startEmbeddedRedis } from '../packages/core/src/index.js';
import type { DecisionEntry, DecisionRecord } from '../packages/core/src/decisions/decision-log.js';
import { flushRedis, type BenchContext } from './support/bench-context.js';
import { enqueueBacklog } from './support/backlog.js';
import { writeBenchConfig } from './support/bench-config.js';
import { decisionMix, type DecisionMix } from './support/decision-mix.js';
import { atMost, bytes, count, megabytes, millis, timed, type Benchmark } from './support/results.js';
import { readMemory, spawnSubmitWorker } from './support/worker-processes.js';

const BYTES_PER_ENTRY_TARGET = 100;
/** Issue 16: the decision log stored ~390 B per release (one JSON list per project). */
const BYTES_PER_RELEASE_TARGET = 120;
const DAY_MS = 86_400_000;
/** The releases' time span, inside the TTL: what a month of PyPI leaves in the log. */
const DECISION_WINDOW_MS = 25 * DAY_MS;
const DECISION_TTL_MS = 30 * DAY_MS;
/** The format before is measured on fewer releases (a million of its lists take ~600 MB and minutes). */
const LEGACY_RELEASES = 100_000;
/** Issue 16 (round one's was 200 MB). */
const RSS_TARGET = 150 * 1024 * 1024;
const SAMPLE_MS = 10_000;

export const memory: Benchmark = {
  name: 'memory',
  title: 'Memory: dedupe bytes per entry, worker RSS',
  async run(context) {
    const entries = context.quick ? 100_000 : 1_000_000;
    const backlog = context.quick ? 10_000 : 100_000;
    const releases = context.quick ? 100_000 : 1_000_000;
    const dedupe = await dedupeBytesPerEntry(context, entries);
    const decisions = await decisionBytesPerRelease(context, releases);
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
          metric: `decision log bytes per release at ${count(releases)} (used_memory delta; ${decisions.mix})`,
          measured: `${megabytes(decisions.deltaBytes)}: ${count(decisions.entries)} entries, ${count(decisions.projects)} projects`,
          baseline: `format before: ${bytes(decisions.legacyBytesPerRelease)} (at ${count(LEGACY_RELEASES)})`,
          ...atMost(decisions.deltaBytes / releases, BYTES_PER_RELEASE_TARGET, bytes),
        },
        {
          metric: `decision log: why of ${count(decisions.checkedProjects)} sampled projects as recorded; write, prune (dry run)`,
          measured: `${count(decisions.checkedEntries)} entries, 0 differ`,
          baseline: `${millis(decisions.writeMs)}, ${millis(decisions.pruneMs)}`,
        },
        {
          metric: `worker peak RSS (VmHWM), ${count(backlog)}-job backlog, ${SAMPLE_MS / 1000} s`,
          measured: `${count(worker.processed)} jobs done`,
          baseline: `RSS now ${megabytes(worker.lastRss)}`,
          ...atMost(worker.peak, RSS_TARGET, megabytes),
        },
      ],
      details: {
        dedupe: { entries, ...dedupe, bytesPerEntry: dedupe.deltaBytes / entries },
        decisions: { releases, ...decisions, bytesPerRelease: decisions.deltaBytes / releases },
        worker: { backlog, ...worker },
      },
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

/**
 * The decision log of `releases` releases written as the services write it (a poll's records in one
 * call, the workers' in theirs; the workers' calls of one 2-minute slot together, which stores the same
 * bytes), on a server of its own. Then `why` of a sample of projects is checked against what was
 * recorded, and the same workload's first releases are written in the format before, for comparison.
 */
async function decisionBytesPerRelease(context: BenchContext, releases: number) {
  const server = await startEmbeddedRedis({
    dir: join(context.dir, 'redis-decisions'),
    appendOnly: false,
    extraArgs: ['--hash-max-listpack-entries', '128', '--hash-max-listpack-value', '64'],
  });
  const redis = new Redis(server.url, { maxRetriesPerRequest: null });
  const start = Date.UTC(2026, 10, 1);
  try {
    const keys = redisKeys('pypi-watch');
    let clock = start;
    const log = new DecisionLog({ redis, keys, ttlMs: DECISION_TTL_MS, now: () => clock });
    const mix = decisionMix({ releases, start, windowMs: DECISION_WINDOW_MS, seed: 16 });
    const before = await usedMemory(redis);
    const written = await timed(() =>
      writeCalls(mix, (at, records) => {
        clock = at;
        return log.record(records);
      }),
    );
    const after = await usedMemory(redis);
    let checkedEntries = 0;
    for (const [subject, recorded] of mix.expected) {
      const told = await log.story(subject);
      const expected = recorded.filter((entry) => entry.at > clock - DECISION_TTL_MS).slice(-100);
      if (!isDeepStrictEqual(JSON.parse(JSON.stringify(told)), JSON.parse(JSON.stringify(expected)))) {
        throw new Error(`why ${subject} differs from what was recorded:\n${JSON.stringify(told)}\n${JSON.stringify(expected)}`);
      }
      checkedEntries += recorded.length;
    }
    const stored = await storedStories(redis, keys);
    const pruned = await timed(() => log.prune({ dryRun: true }));
    if (pruned.value.stories !== 0) throw new Error(`prune would drop ${pruned.value.stories} stories younger than the TTL`);

    await redis.flushall('SYNC');
    const legacyMix = decisionMix({ releases: LEGACY_RELEASES, start, windowMs: DECISION_WINDOW_MS, seed: 16 });
    const legacyBefore = await usedMemory(redis);
    await writeCalls(legacyMix, (at, records) => writeLegacy(redis, keys.why, at, records));
    const legacyBytesPerRelease = ((await usedMemory(redis)) - legacyBefore) / LEGACY_RELEASES;
    return {
      deltaBytes: after - before,
      mix: mix.names,
      projects: mix.projects,
      entries: [...mix.kinds.values()].reduce((a, b) => a + b, 0),
      kinds: Object.fromEntries(mix.kinds),
      ...stored,
      checkedProjects: mix.expected.size,
      checkedEntries,
      writeMs: written.ms,
      pruneMs: pruned.ms,
      legacyBytesPerRelease,
    };
  } finally {
    redis.disconnect();
    await server.stop();
  }
}

/** How many stories there are and their bytes (the values alone, without Redis' own overhead), and the shared strings. */
async function storedStories(redis: Redis, keys: ReturnType<typeof redisKeys>) {
  let stories = 0;
  let storyBytes = 0;
  for (let first = 0; first < 4096; first += 512) {
    const buckets = Array.from({ length: 512 }, (_, i) => keys.whyStories(first + i));
    const [count, size] = (await redis.eval(STORY_SIZES, buckets.length, ...buckets)) as [number, number];
    stories += count;
    storyBytes += size;
  }
  return { stories, storyBytes, sharedStrings: ((await redis.hlen(keys.whyStrings)) - 1) / 2 };
}

const STORY_SIZES = `
local count, size = 0, 0
for k = 1, #KEYS do
  local items = redis.call('HGETALL', KEYS[k])
  for i = 2, #items, 2 do count, size = count + 1, size + #items[i] end
end
return { count, size }
`;

/** Runs the calls in order, up to 32 in flight (one connection keeps them in order). */
async function writeCalls(mix: DecisionMix, write: (at: number, records: DecisionRecord[]) => Promise<void>): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  for (const { at, records } of mix.calls()) {
    const sent = write(at, records).finally(() => inFlight.delete(sent));
    inFlight.add(sent);
    if (inFlight.size >= 32) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
}

/** What the format before wrote for each record: RPUSH of the JSON entry, LTRIM to 100, PEXPIRE. */
async function writeLegacy(redis: Redis, why: (subject: string) => string, at: number, records: readonly DecisionRecord[]): Promise<void> {
  const pipeline = redis.pipeline();
  for (const { subject, version, decision } of records) {
    const entry: DecisionEntry = { at, ...(version === undefined ? {} : { version }), decision };
    pipeline.rpush(why(subject), JSON.stringify(entry));
    pipeline.ltrim(why(subject), -100, -1);
    pipeline.pexpire(why(subject), DECISION_TTL_MS);
  }
  await pipeline.exec();
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
