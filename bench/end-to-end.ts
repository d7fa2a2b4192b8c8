// Benchmark 4: 500 new releases, submit taking 200 ms. The old design (one `submit` after another)
// against pypi-watch: one poll, then 3 `pypi-watch worker` processes × concurrency 4, no rate limit.
// The target row runs the bash stand-in, which waits 200 ms as the submit does. A second row
// runs the tests' Node.js stand-in: its start-up adds ~80 ms of CPU to each call, so 12 at once
// saturate 2 cores and that row measures the machine's cores, not the queue. Both one-at-a-time loops
// run 1/5 of the calls and are scaled (a loop's time is calls × time per call) to keep the run short.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { buildSubmitArgs, createPoller, openRuntime } from '../packages/core/src/index.js';
import { FakePypi, JOB_YAML } from '@pypi-watch/test-utils';
import { flushRedis, type BenchContext } from './support/bench-context.js';
import { writeBenchConfig } from './support/bench-config.js';
import { finishedSpan, waitForFinished } from './support/queue-progress.js';
import { atLeast, count, millis, ratio, timed, type Benchmark, type BenchRow } from './support/results.js';
import { BASH_STANDIN, NODE_STANDIN, runStandin } from './support/standins.js';
import { spawnSubmitWorker } from './support/worker-processes.js';

const SUBMIT_MS = 200;
const PROCESSES = 3;
const CONCURRENCY = 4;
const TARGET = 10;
const TARGET_KEYS = { os_arch: 'aarch64', testbox: 'vm-2p8g' };
const PARAMS = { check_rpm_install: 'yes' };

const VARIANTS = [
  { key: 'bash', label: 'bash stand-in [target]', command: BASH_STANDIN, sequentialSample: 5 },
  { key: 'node', label: 'Node.js stand-in (+80 ms CPU a call; 2 cores cap it)', command: NODE_STANDIN, sequentialSample: 5 },
] as const;

export const endToEnd: Benchmark = {
  name: 'end-to-end',
  title: 'End to end vs a one-at-a-time submitter',
  async run(context) {
    const releases = context.quick ? 100 : 500;
    const rows: BenchRow[] = [];
    const details: Record<string, unknown> = { releases, submitMs: SUBMIT_MS, processes: PROCESSES, concurrency: CONCURRENCY };
    for (const variant of VARIANTS) {
      const pypiWatch = await withPypiWatch(context, variant.command, releases);
      // A one-at-a-time loop's time is calls × time per call: the sampled variant runs 1/n of the calls.
      const calls = Math.ceil(releases / variant.sequentialSample);
      const sampled = await sequentialSubmits(context, variant.command, calls);
      const sequentialMs = (sampled.ms * releases) / calls;
      const result = sequentialMs / pypiWatch.ms;
      rows.push({
        metric: `${count(releases)} releases, submit ${SUBMIT_MS} ms, ${PROCESSES}×${CONCURRENCY} vs a loop: ${variant.label}`,
        measured: millis(pypiWatch.ms),
        baseline: millis(sequentialMs),
        ...(variant.key === 'bash' ? atLeast(result, TARGET) : { result: ratio(result) }),
      });
      details[variant.key] = {
        pypiWatchMs: pypiWatch.ms,
        pollMs: pypiWatch.pollMs,
        sequentialMs,
        sequentialCallsRun: calls,
        ratio: result,
      };
    }
    return { rows, details };
  },
};

/** The old design, minus its RSS fetch and `bash -c`: each name's `submit`, one after another, spawned as pypi-watch spawns it. */
async function sequentialSubmits(context: BenchContext, command: string, calls: number): Promise<{ ms: number }> {
  const home = join(context.dir, 'sequential-home');
  await mkdir(home, { recursive: true });
  return timed(async () => {
    for (let index = 0; index < calls; index++) {
      const args = buildSubmitArgs({ jobYamlPath: JOB_YAML, name: `pkg-${index}`, target: TARGET_KEYS, params: PARAMS });
      await runStandin(command, args, { HOME: home, STANDIN_SUBMIT_DELAY_MS: String(SUBMIT_MS) });
    }
  });
}

/** Workers already running (a service); timed from the poll's start to the last job's finishedOn. */
async function withPypiWatch(context: BenchContext, command: string, releases: number): Promise<{ ms: number; pollMs: number }> {
  const pypi = new FakePypi();
  const baseUrl = await pypi.start();
  const setup = await writeBenchConfig(context, 'e2e', {
    source: { type: 'changelog', baseUrl, pagePause: 0 },
    submit: {
      command,
      concurrency: CONCURRENCY,
      rateLimit: { max: 1_000_000_000, duration: '1s' },
      targets: [TARGET_KEYS],
      params: PARAMS,
    },
  });
  const workers = Array.from({ length: PROCESSES }, (_, index) =>
    spawnSubmitWorker({
      configFile: setup.configFile,
      env: { STANDIN_SUBMIT_DELAY_MS: String(SUBMIT_MS) },
      logFile: join(setup.dir, `worker-${index}.log`),
    }),
  );
  const runtime = await openRuntime({ config: setup.config, logger: context.logger });
  try {
    await Promise.all(workers.map((worker) => worker.ready));
    const poller = await createPoller({ config: setup.config, redis: runtime.redis, queues: runtime.queues, logger: context.logger });
    await poller.run(); // records PyPI's head; the releases below are new to it
    pypi.publishGenerated(releases);
    const started = Date.now();
    const poll = await timed(() => poller.run());
    if (poll.value.queued !== releases) throw new Error(`poll queued ${poll.value.queued} of ${releases}`);
    const { failed } = await waitForFinished(runtime.queues.submit, releases, 600_000);
    if (failed > 0) throw new Error(`${failed} submits failed; see ${setup.dir}`);
    const span = await finishedSpan(runtime.queues.submit);
    return { ms: span.lastFinish - started, pollMs: poll.ms };
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
    await runtime.close();
    await pypi.stop();
    await flushRedis(context);
  }
}
