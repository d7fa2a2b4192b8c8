// Benchmark 3: does submit.rateLimit hold across processes? 3 `pypi-watch worker` processes, limit
// 50/s, a backlog bigger than 20 s can drain; the stand-in records when each submit really started.
// The bash stand-in: 50 Node.js start-ups a second (~35 ms of CPU each) would need ~2 cores by
// themselves, and the benchmark would measure the machine instead of the limiter.

import { join } from 'node:path';
import { batchIdFor, enqueueSubmits, openRuntime, type ReleaseToSubmit } from '../packages/core/src/index.js';
import { readSubmitCalls } from '../packages/core/test/support/standin-submit.js';
import { flushRedis } from './support/bench-context.js';
import { writeBenchConfig } from './support/bench-config.js';
import { atMost, between, count, type Benchmark } from './support/results.js';
import { BASH_STANDIN } from './support/standins.js';
import { spawnSubmitWorker } from './support/worker-processes.js';

const LIMIT = 50;
const PROCESSES = 3;
const CONCURRENCY = 8;

export const rateLimit: Benchmark = {
  name: 'rate-limit',
  title: 'Rate-limit accuracy across 3 worker processes',
  async run(context) {
    const windowMs = context.quick ? 5_000 : 20_000;
    const backlog = Math.ceil((LIMIT * windowMs) / 1000 * 1.3);
    const setup = await writeBenchConfig(context, 'rate', {
      submit: { command: BASH_STANDIN, concurrency: CONCURRENCY, rateLimit: { max: LIMIT, duration: '1s' } },
      shutdown: { timeout: '5s' },
    });
    const recordFile = join(setup.dir, 'submit-calls.jsonl');
    const workers = Array.from({ length: PROCESSES }, (_, index) =>
      spawnSubmitWorker({ configFile: setup.configFile, env: { STANDIN_SUBMIT_RECORD: recordFile }, logFile: join(setup.dir, `worker-${index}.log`) }),
    );
    const runtime = await openRuntime({ config: setup.config, logger: context.logger });
    let starts: number[];
    try {
      // All three are up before the first job exists, so none of them joins late.
      await Promise.all(workers.map((worker) => worker.ready));
      const releases = Array.from({ length: backlog }, (_, index): ReleaseToSubmit => ({ name: `pkg-${index}`, normalized: `pkg-${index}`, version: '1.0.0' }));
      await enqueueSubmits({ queue: runtime.queues.submit, releases, targets: setup.config.submit.targets, batchId: batchIdFor(new Date()), origin: 'poll' });
      const firstStart = await waitForFirstStart(recordFile);
      await new Promise((resolve) => setTimeout(resolve, firstStart + windowMs + 1500 - Date.now()));
      starts = (await readSubmitCalls(recordFile)).map((call) => call.time).sort((a, b) => a - b);
    } finally {
      await Promise.all(workers.map((worker) => worker.stop()));
      await runtime.close();
      await flushRedis(context);
    }
    const first = starts[0]!;
    const inWindow = starts.filter((time) => time < first + windowMs);
    const achieved = inWindow.length / (windowMs / 1000);
    const sliding = maxInSlidingWindow(inWindow, 1000);
    const fixed = maxInFixedWindows(inWindow, first, 1000);
    const processes = new Set((await readSubmitCalls(recordFile)).map((call) => call.pid)).size;
    return {
      rows: [
        {
          metric: `achieved / limit (${LIMIT}/s, ${windowMs / 1000} s, ${PROCESSES} processes × ${CONCURRENCY})`,
          measured: `${achieved.toFixed(1)} starts/s`,
          baseline: `limit ${LIMIT}/s`,
          ...between(achieved / LIMIT, 0.95, 1.0),
        },
        {
          metric: 'most starts in any 1 s sliding window',
          measured: count(sliding),
          baseline: `limit ${LIMIT}`,
          ...atMost(sliding, LIMIT, count),
        },
        { metric: 'most starts in a 1 s window aligned to the first start', measured: count(fixed), baseline: `limit ${LIMIT}`, result: count(fixed) },
      ],
      details: { limit: LIMIT, windowMs, backlog, startsInWindow: inWindow.length, achievedPerSecond: achieved, maxSlidingWindow: sliding, maxFixedWindow: fixed, standinProcesses: processes, perSecond: perFixedWindow(inWindow, first, 1000) },
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
