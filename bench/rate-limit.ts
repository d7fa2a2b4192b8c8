// Benchmark 3: does submit.rateLimit hold across processes? 3 `pypi-watch worker` processes, limit
// 50/s, a backlog bigger than 20 s can drain. Each start is seen twice: when the worker spawned it
// (`startedAt` of its `submitted` log line: what the limit governs) and when the stand-in's own code
// began to run, after fork, exec and bash's start-up (what a farm would see, minus its network).
// The bash stand-in: 50 Node.js start-ups a second (~35 ms of CPU each) would need ~2 cores by
// themselves, and the benchmark would measure the machine instead of the limiter.
// The machine is loaded while it runs: one busy loop per CPU (issue 16 saw 51 starts in a second on
// a loaded machine; late timers bunch starts together, which is what the limit must survive).

import { join } from 'node:path';
import { openRuntime } from '../packages/core/src/index.js';
import { readSubmitCalls } from '@pypi-watch/test-utils';
import { flushRedis } from './support/bench-context.js';
import { enqueueBacklog } from './support/backlog.js';
import { percentiles } from './support/percentiles.js';
import { writeBenchConfig } from './support/bench-config.js';
import { startCpuHog, type CpuHog } from './support/cpu-hog.js';
import { atMost, between, count, type Benchmark } from './support/results.js';
import { BASH_STANDIN } from './support/standins.js';
import { spawnTimes } from './support/submit-log.js';
import { spawnSubmitWorker } from './support/worker-processes.js';

const LIMIT = 50;
const PROCESSES = 3;
const CONCURRENCY = 8;

export const rateLimit: Benchmark = {
  name: 'rate-limit',
  title: 'Rate-limit accuracy across 3 worker processes, a busy loop per CPU running',
  async run(context) {
    const windowMs = context.quick ? 5_000 : 20_000;
    const backlog = Math.ceil(((LIMIT * windowMs) / 1000) * 1.3);
    const setup = await writeBenchConfig(context, 'rate', {
      submit: { command: BASH_STANDIN, concurrency: CONCURRENCY, rateLimit: { max: LIMIT, duration: '1s' } },
      shutdown: { timeout: '5s' },
    });
    const recordFile = join(setup.dir, 'submit-calls.jsonl');
    const logFiles = Array.from({ length: PROCESSES }, (_, index) => join(setup.dir, `worker-${index}.log`));
    const workers = logFiles.map((logFile) =>
      spawnSubmitWorker({ configFile: setup.configFile, env: { STANDIN_SUBMIT_RECORD: recordFile }, logFile }),
    );
    const runtime = await openRuntime({ config: setup.config, logger: context.logger });
    let calls: Awaited<ReturnType<typeof readSubmitCalls>>;
    let hog: CpuHog | undefined;
    try {
      // All three are up before the first job exists, so none of them joins late.
      await Promise.all(workers.map((worker) => worker.ready));
      // Bounded by itself too: the wait below is at most 30 s for the first start, then the window.
      hog = startCpuHog(windowMs + 35_000);
      await enqueueBacklog(runtime.queues.submit, setup.config.submit.targets, backlog);
      const firstStart = await waitForFirstStart(recordFile);
      await new Promise((resolve) => setTimeout(resolve, firstStart + windowMs + 1500 - Date.now()));
      calls = await readSubmitCalls(recordFile);
    } finally {
      await hog?.stop();
      await Promise.all(workers.map((worker) => worker.stop()));
      await runtime.close();
      await flushRedis(context);
    }
    const hogs = hog?.processes ?? 0;
    const spawnedAt = new Map((await Promise.all(logFiles.map(spawnTimes))).flat());
    const spawned = [...spawnedAt.values()].sort((a, b) => a - b);
    const seen = calls.map((call) => call.time).sort((a, b) => a - b);
    // How long from spawn to the stand-in's first instruction, per release.
    const startUp = calls.flatMap((call) => {
      const spawnTime = spawnedAt.get(call.argv.find((arg) => arg.startsWith('repo_addr='))?.slice('repo_addr='.length) ?? '');
      return spawnTime === undefined ? [] : [call.time - spawnTime];
    });
    const inWindow = (times: readonly number[]): number[] => times.filter((time) => time < times[0]! + windowMs);
    const spawnedInWindow = inWindow(spawned);
    const seenInWindow = inWindow(seen);
    // Starts per second over the span they cover: n starts, n - 1 intervals.
    const achieved = (spawnedInWindow.length - 1) / ((spawnedInWindow.at(-1)! - spawnedInWindow[0]!) / 1000);
    const slidingSpawned = maxInSlidingWindow(spawnedInWindow, 1000);
    const slidingSeen = maxInSlidingWindow(seenInWindow, 1000);
    const fixed = maxInFixedWindows(spawnedInWindow, spawnedInWindow[0]!, 1000);
    const processes = new Set(calls.map((call) => call.pid)).size;
    return {
      rows: [
        {
          metric: `achieved / limit (${LIMIT}/s, ${windowMs / 1000} s, ${PROCESSES} processes × ${CONCURRENCY}, ${hogs} busy loops)`,
          measured: `${achieved.toFixed(1)} starts/s`,
          baseline: `limit ${LIMIT}/s`,
          ...between(achieved / LIMIT, 0.95, 1.0),
        },
        {
          metric: 'most submits started in any 1 s sliding window (seen by the stand-in)',
          measured: count(slidingSeen),
          baseline: `limit ${LIMIT}`,
          ...atMost(slidingSeen, LIMIT, count),
        },
        {
          metric: 'the same, timed at spawn in the worker',
          measured: count(slidingSpawned),
          baseline: `limit ${LIMIT}`,
          result: count(slidingSpawned),
        },
        {
          metric: 'most spawned in a 1 s window aligned to the first',
          measured: count(fixed),
          baseline: `limit ${LIMIT}`,
          result: count(fixed),
        },
      ],
      details: {
        limit: LIMIT,
        busyLoops: hogs,
        windowMs,
        backlog,
        spawnedInWindow: spawnedInWindow.length,
        achievedPerSecond: achieved,
        maxSlidingWindowSpawned: slidingSpawned,
        maxSlidingWindowSeen: slidingSeen,
        // How close the limit came: the shortest span of max + 1 consecutive starts (under 1000 ms is a window over max).
        shortestSpanOfLimitPlusOneMs: { spawned: shortestSpan(spawnedInWindow, LIMIT + 1), seen: shortestSpan(seenInWindow, LIMIT + 1) },
        maxFixedWindow: fixed,
        standinProcesses: processes,
        perSecond: perFixedWindow(spawnedInWindow, spawnedInWindow[0]!, 1000),
        spawnToStandinMs: percentiles(startUp),
      },
    };
  },
};

async function waitForFirstStart(recordFile: string): Promise<number> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const calls = await readSubmitCalls(recordFile);
    if (calls.length > 0) return Math.min(...calls.map((call) => call.time));
    if (Date.now() > deadline) throw new Error('no submit started within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Largest number of sorted times within any [t, t + width) window. */
function maxInSlidingWindow(times: readonly number[], width: number): number {
  let best = 0;
  let low = 0;
  for (let high = 0; high < times.length; high++) {
    while (times[high]! - times[low]! >= width) low++;
    best = Math.max(best, high - low + 1);
  }
  return best;
}

/** The shortest time from a start to the `n - 1`th start after it (sorted times); Infinity with fewer than n. */
function shortestSpan(times: readonly number[], n: number): number {
  let best = Infinity;
  for (let low = 0; low + n - 1 < times.length; low++) best = Math.min(best, times[low + n - 1]! - times[low]!);
  return best;
}

function perFixedWindow(times: readonly number[], origin: number, width: number): number[] {
  const counts: number[] = [];
  for (const time of times) {
    const index = Math.floor((time - origin) / width);
    counts[index] = (counts[index] ?? 0) + 1;
  }
  return Array.from(counts, (value) => value ?? 0);
}

function maxInFixedWindows(times: readonly number[], origin: number, width: number): number {
  return Math.max(0, ...perFixedWindow(times, origin, width));
}
