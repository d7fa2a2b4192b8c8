// Benchmark: does throughput grow with worker processes? 1, 2 and 3 `pypi-watch worker --queues
// submit` processes, each with the same concurrency, drain a backlog sized to take ~5 s, against the
// bash stand-in waiting 200 ms (the submit). The rate limit is configured but far above what
// they reach, so the pacer's round trip is paid and never waits. Throughput is BullMQ's own: jobs
// over first processedOn to last finishedOn; a process's start-up is not in it (all are ready first).

import { join } from 'node:path';
import { openRuntime } from '../packages/core/src/index.js';
import { flushRedis, type BenchContext } from './support/bench-context.js';
import { enqueueBacklog } from './support/backlog.js';
import { writeBenchConfig } from './support/bench-config.js';
import { finishedSpan, waitForFinished } from './support/queue-progress.js';
import { atLeast, perSecond, ratio, type Benchmark, type BenchRow } from './support/results.js';
import { BASH_STANDIN } from './support/standins.js';
import { spawnSubmitWorker } from './support/worker-processes.js';

const SUBMIT_MS = 200;
const CONCURRENCY = 4;
const PROCESS_COUNTS = [1, 2, 3] as const;
/** What 2 and 3 processes must reach, as a multiple of one. */
const TARGETS: Readonly<Record<number, number>> = { 2: 1.8, 3: 2.6 };

interface Round {
  readonly processes: number;
  readonly jobs: number;
  readonly ms: number;
  readonly perSecond: number;
}

export const scaling: Benchmark = {
  name: 'scaling',
  title: 'Throughput with 1, 2 and 3 worker processes (submit waits 200 ms)',
  async run(context) {
    const drainSeconds = context.quick ? 2 : 5;
    const rounds: Round[] = [];
    for (const processes of PROCESS_COUNTS) rounds.push(await round(context, processes, drainSeconds));
    const one = rounds[0]!;
    const ideal = (processes: number): number => (processes * CONCURRENCY * 1000) / SUBMIT_MS;
    const rows: BenchRow[] = rounds.map((r) => {
      const metric = `${r.processes} process${r.processes === 1 ? '' : 'es'} × ${CONCURRENCY}, ${r.jobs} jobs`;
      const measured = perSecond(r.perSecond, 'jobs/s');
      if (r.processes === 1)
        return {
          metric: `${metric} (vs the 200 ms wait's ideal)`,
          measured,
          baseline: perSecond(ideal(1), 'jobs/s'),
          result: ratio(r.perSecond / ideal(1)),
        };
      return {
        metric: `${metric}, vs 1 process`,
        measured,
        baseline: perSecond(one.perSecond, 'jobs/s'),
        ...atLeast(r.perSecond / one.perSecond, TARGETS[r.processes]!),
      };
    });
    return {
      rows,
      details: { submitMs: SUBMIT_MS, concurrency: CONCURRENCY, rounds, idealPerSecond: PROCESS_COUNTS.map(ideal) },
    };
  },
};

async function round(context: BenchContext, processes: number, drainSeconds: number): Promise<Round> {
  const jobs = Math.round(((processes * CONCURRENCY * 1000) / SUBMIT_MS) * drainSeconds);
  const setup = await writeBenchConfig(context, `scaling-${processes}`, {
    submit: { command: BASH_STANDIN, concurrency: CONCURRENCY, rateLimit: { max: 1_000_000_000, duration: '1s' } },
    shutdown: { timeout: '5s' },
  });
  const workers = Array.from({ length: processes }, (_, index) =>
    spawnSubmitWorker({
      configFile: setup.configFile,
      env: { STANDIN_SUBMIT_DELAY_MS: String(SUBMIT_MS) },
      logFile: join(setup.dir, `worker-${index}.log`),
    }),
  );
  const runtime = await openRuntime({ config: setup.config, logger: context.logger });
  try {
    // All are up before the first job exists: a late process would look like poor scaling.
    await Promise.all(workers.map((worker) => worker.ready));
    await enqueueBacklog(runtime.queues.submit, setup.config.submit.targets, jobs);
    const { failed } = await waitForFinished(runtime.queues.submit, jobs, 120_000);
    if (failed > 0) throw new Error(`${failed} submits failed; see ${setup.dir}`);
    const span = await finishedSpan(runtime.queues.submit);
    const ms = span.lastFinish - span.firstStart;
    return { processes, jobs, ms, perSecond: (span.jobs * 1000) / ms };
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
    await runtime.close();
    await flushRedis(context);
  }
}
