// Benchmark: release → submit latency, as a user's deployment sees it. Releases appear on the fake
// PyPI at random times (a Poisson process from a fixed seed), each as its wheel first and its sdist
// a few seconds to two minutes later (twine and uv upload wheels first); the sdist gate is on, so a
// release becomes buildable at its sdist event. Nothing is called by hand: the scheduler's Job
// Scheduler (`source.every`) starts each poll in one compiled `pypi-watch worker` process, which also
// runs the submits (bash stand-in). Measured from the moment the sdist event was published to the
// moment the stand-in's own code began (its STANDIN_SUBMIT_RECORD time), per release.

import { join } from 'node:path';
import type { Queue } from 'bullmq';
import { exponential, FakePypi, logUniform, readSubmitCalls, seededRandom } from '@pypi-watch/test-utils';
import { openRuntime, parseDuration, QUEUE_NAMES, registerSchedules } from '../packages/core/src/index.js';
import { flushRedis } from './support/bench-context.js';
import { writeBenchConfig } from './support/bench-config.js';
import { percentiles, type Percentiles } from './support/percentiles.js';
import { atLeast, atMost, count, millis, type Benchmark, type BenchRow } from './support/results.js';
import { BASH_STANDIN } from './support/standins.js';
import { spawnTimes } from './support/submit-log.js';
import { spawnSubmitWorker } from './support/worker-processes.js';

/** The timeline's seed; `BENCH_LATENCY_SEED` replays another one. */
const SEED = 16;
const TARGET_P50_MS = 60_000;
const TARGET_P99_MS = 90_000;
const CONCURRENCY = 4;

interface Timeline {
  readonly releases: number;
  /** Mean gap between two releases' wheels (ms): the Poisson process's 1 / rate. */
  readonly meanGapMs: number;
  /** The sdist follows its wheel by a log-uniform delay in [min, max] (ms). */
  readonly sdistDelayMs: readonly [number, number];
  /** `source.every`. */
  readonly every: string;
}

// ~145 s of releases, the last sdist up to 2 min after its wheel, then at most one interval: ≈ 5½ min.
const FULL: Timeline = { releases: 180, meanGapMs: 800, sdistDelayMs: [2_000, 120_000], every: '1m' };
const QUICK: Timeline = { releases: 30, meanGapMs: 500, sdistDelayMs: [1_000, 15_000], every: '10s' };

interface PlannedRelease {
  readonly name: string;
  readonly version: string;
  /** Offsets from the timeline's start (ms). */
  readonly wheelAt: number;
  readonly sdistAt: number;
}

export const latency: Benchmark = {
  name: 'latency',
  title: 'Release → submit start, sdist gate on, scheduled polls, one worker process',
  async run(context) {
    const timeline = context.quick ? QUICK : FULL;
    const seed = seedFromEnv();
    const plan = planReleases(seededRandom(seed), timeline);
    process.stderr.write(
      `latency: seed ${seed}, ${plan.length} releases over ${(plan.at(-1)!.wheelAt / 1000).toFixed(0)} s, every ${timeline.every}\n`,
    );
    const everyMs = parseDuration(timeline.every)!;
    const pypi = new FakePypi();
    const baseUrl = await pypi.start();
    const setup = await writeBenchConfig(context, 'latency', {
      source: { type: 'changelog', baseUrl, every: timeline.every },
      filters: { requireSdist: true },
      // The bench publishes ~25× PyPI's average rate (so p99 has enough samples in minutes); a poll
      // queues ~70 releases at once, which a limit sized for PyPI's rate would spread over seconds.
      submit: { command: BASH_STANDIN, concurrency: CONCURRENCY, rateLimit: { max: 1000, duration: '1s' } },
      shutdown: { timeout: '5s' },
    });
    const recordFile = join(setup.dir, 'submit-calls.jsonl');
    const logFile = join(setup.dir, 'worker.log');
    // Every queue, as `pypi-watch worker` without --queues serves them.
    const worker = spawnSubmitWorker({
      configFile: setup.configFile,
      queues: QUEUE_NAMES,
      env: { STANDIN_SUBMIT_RECORD: recordFile },
      logFile,
    });
    const runtime = await openRuntime({ config: setup.config, logger: context.logger });
    let sdistPublished: Map<string, number>;
    let calls: Awaited<ReturnType<typeof readSubmitCalls>>;
    let polls: PollRun[];
    let queuedAt: Map<string, number>;
    try {
      await worker.ready;
      // What `pypi-watch scheduler` does; its first poll runs at once and only records PyPI's head.
      await registerSchedules(runtime.queues, setup.config);
      await waitUntil(async () => (await runtime.stores.pollState.readLastPoll()) !== undefined, 30_000, 'the first scheduled poll');
      sdistPublished = await publishTimeline(pypi, plan);
      const lastSdist = Math.max(...sdistPublished.values());
      await waitUntil(
        async () => submittedNames(await readSubmitCalls(recordFile)).size >= plan.length,
        lastSdist + 2 * everyMs + 30_000 - Date.now(),
        'every submit',
      ).catch(
        () => undefined, // counted below: a missing submit fails the count row
      );
      calls = await readSubmitCalls(recordFile);
      polls = await pollRuns(runtime.queues.poll);
      queuedAt = await submitQueuedTimes(runtime.queues.submit);
    } finally {
      await worker.stop();
      await runtime.close();
      await pypi.stop();
      await flushRedis(context);
    }

    const standinAt = submittedNames(calls);
    const spawnedAt = new Map(await spawnTimes(logFile));
    const latencies: number[] = [];
    const parts = {
      waitForPoll: [] as number[],
      pollToQueued: [] as number[],
      queuedToSpawn: [] as number[],
      spawnToStandin: [] as number[],
    };
    for (const release of plan) {
      const sdistAt = sdistPublished.get(release.name)!;
      const started = standinAt.get(release.name);
      if (started === undefined) continue;
      latencies.push(started - sdistAt);
      const queued = queuedAt.get(release.name);
      const spawned = spawnedAt.get(release.name);
      // The poll that queued it: the last one to start before its job was added.
      const poll = queued === undefined ? undefined : polls.filter((run) => run.startedAt <= queued).at(-1);
      if (poll === undefined || queued === undefined || spawned === undefined) continue;
      parts.waitForPoll.push(poll.startedAt - sdistAt);
      parts.pollToQueued.push(queued - poll.startedAt);
      parts.queuedToSpawn.push(spawned - queued);
      parts.spawnToStandin.push(started - spawned);
    }
    const total = percentiles(latencies);
    const intervals = polls.slice(1).map((run, index) => run.startedAt - polls[index]!.startedAt);
    const label = `${plan.length} releases, Poisson ${(1000 / timeline.meanGapMs).toFixed(2)}/s, seed ${seed}, every ${timeline.every}`;
    const rows: BenchRow[] = [
      {
        metric: `release→submit start p50 (${label}; from the sdist event to the stand-in's start)`,
        measured: total ? millis(total.p50) : 'n/a',
        ...atMost(total?.p50 ?? Infinity, TARGET_P50_MS, millis),
      },
      {
        metric: 'release→submit start p99',
        measured: total ? millis(total.p99) : 'n/a',
        ...atMost(total?.p99 ?? Infinity, TARGET_P99_MS, millis),
      },
      { metric: 'release→submit start p90 / max', measured: total ? `${millis(total.p90)} / ${millis(total.max)}` : 'n/a' },
      {
        metric: 'releases submitted / published',
        measured: `${count(latencies.length)} / ${count(plan.length)}`,
        ...atLeast(latencies.length, plan.length, count),
      },
      { metric: 'of which: sdist → next poll starts, p50 / p99', measured: spread(percentiles(parts.waitForPoll)) },
      { metric: 'of which: poll start → stand-in start, p50 / p99', measured: spread(percentiles(sumParts(parts))) },
    ];
    return {
      rows,
      details: {
        seed,
        timeline,
        everyMs,
        latencyMs: total,
        waitForPollMs: percentiles(parts.waitForPoll),
        pollToQueuedMs: percentiles(parts.pollToQueued),
        queuedToSpawnMs: percentiles(parts.queuedToSpawn),
        spawnToStandinMs: percentiles(parts.spawnToStandin),
        polls: polls.length,
        pollIntervalMs: percentiles(intervals),
        pollPickupLagMs: percentiles(polls.map((run) => run.startedAt - run.scheduledAt)),
        pollDurationMs: percentiles(polls.map((run) => run.finishedAt - run.startedAt)),
      },
    };
  },
};

function seedFromEnv(): number {
  const raw = process.env['BENCH_LATENCY_SEED'];
  if (raw === undefined || raw === '') return SEED;
  if (!/^\d{1,9}$/.test(raw)) throw new Error(`BENCH_LATENCY_SEED: expected a non-negative integer, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

/** Wheels at Poisson times, each release's sdist a log-uniform delay after its wheel. */
function planReleases(random: () => number, timeline: Timeline): PlannedRelease[] {
  const plan: PlannedRelease[] = [];
  let at = 0;
  for (let index = 0; index < timeline.releases; index++) {
    at += exponential(random, timeline.meanGapMs);
    const delay = logUniform(random, timeline.sdistDelayMs[0], timeline.sdistDelayMs[1]);
    plan.push({ name: `lat-${index}`, version: '1.0.0', wheelAt: Math.round(at), sdistAt: Math.round(at + delay) });
  }
  return plan;
}

/** Publishes each file at its time on the wall clock; returns when each sdist went out (ms). */
async function publishTimeline(pypi: FakePypi, plan: readonly PlannedRelease[]): Promise<Map<string, number>> {
  const events = plan
    .flatMap((release) => [
      { at: release.wheelAt, release, sdist: false },
      { at: release.sdistAt, release, sdist: true },
    ])
    .sort((a, b) => a.at - b.at);
  const origin = Date.now();
  const sdistPublished = new Map<string, number>();
  for (const event of events) {
    const wait = origin + event.at - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const now = Date.now();
    const timestamp = Math.floor(now / 1000);
    const { name, version } = event.release;
    if (event.sdist) {
      pypi.addFile(name, version, 'sdist', { timestamp });
      sdistPublished.set(name, now);
    } else pypi.publish([{ name, version, timestamp, files: ['bdist_wheel'] }]);
  }
  return sdistPublished;
}

/** Each release's first stand-in start (ms), by its `repo_addr`. */
function submittedNames(calls: Awaited<ReturnType<typeof readSubmitCalls>>): Map<string, number> {
  const first = new Map<string, number>();
  for (const call of calls) {
    const name = call.argv.find((arg) => arg.startsWith('repo_addr='))?.slice('repo_addr='.length);
    if (name !== undefined && !(first.get(name)! <= call.time)) first.set(name, call.time);
  }
  return first;
}

interface PollRun {
  /** When the Job Scheduler meant it to run, when a worker took it, when it ended (ms). */
  readonly scheduledAt: number;
  readonly startedAt: number;
  readonly finishedAt: number;
}

/** The scheduled polls that ran, oldest first, from BullMQ's own timestamps. */
async function pollRuns(queue: Queue): Promise<PollRun[]> {
  const jobs = await queue.getJobs(['completed'], 0, -1);
  return (
    jobs
      .filter((job) => job.processedOn !== undefined && job.finishedOn !== undefined)
      // A scheduler's job id is `repeat:<scheduler id>:<the ms it was due>` (BullMQ zeroes `delay` once it is promoted).
      .map((job) => ({
        scheduledAt: Number(/:(\d+)$/.exec(job.id ?? '')?.[1] ?? job.timestamp),
        startedAt: job.processedOn!,
        finishedAt: job.finishedOn!,
      }))
      .sort((a, b) => a.startedAt - b.startedAt)
  );
}

/** When each release's submit job was added (ms), by release name. */
async function submitQueuedTimes(queue: Queue): Promise<Map<string, number>> {
  const times = new Map<string, number>();
  for (const job of await queue.getJobs(['completed', 'failed', 'active', 'wait', 'delayed', 'prioritized'], 0, -1)) {
    const name = (job.data as { name?: unknown }).name;
    if (typeof name === 'string') times.set(name, job.timestamp);
  }
  return times;
}

function sumParts(parts: { pollToQueued: number[]; queuedToSpawn: number[]; spawnToStandin: number[] }): number[] {
  return parts.pollToQueued.map((value, index) => value + parts.queuedToSpawn[index]! + parts.spawnToStandin[index]!);
}

function spread(values: Percentiles | undefined): string {
  return values ? `${millis(values.p50)} / ${millis(values.p99)}` : 'n/a';
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`latency: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
