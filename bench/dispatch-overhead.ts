// Benchmark 2: what the queue costs per submit. 2,000 jobs through core's startWorkers (concurrency 8,
// no rate limit) against the same 2,000 commands spawned with execa at concurrency 8, no queue.
// Run with the tests' Node.js stand-in (the target) and with a bash one, whose ~2 ms start-up
// leaves the queue's own cost in plain view.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  batchIdFor,
  buildSubmitArgs,
  enqueueSubmits,
  openRuntime,
  startWorkers,
  type ReleaseToSubmit,
} from '../packages/core/src/index.js';
import { JOB_YAML } from '@pypi-watch/test-utils';
import { flushRedis, type BenchContext } from './support/bench-context.js';
import { writeBenchConfig } from './support/bench-config.js';
import { atLeast, count, millis, perSecond, timed, type Benchmark, type BenchRow } from './support/results.js';
import { BASH_STANDIN, NODE_STANDIN, runStandin } from './support/standins.js';

const CONCURRENCY = 8;
/** The Node.js stand-in's row (round one's target, kept). */
const TARGET = 0.85;
/** The bash stand-in's row: the queue's own cost in plain view (issue 16: ≤ 5 ms of our work per submit). */
const BASH_TARGET = 0.9;
const TARGET_KEYS = { os_arch: 'aarch64', testbox: 'vm-2p8g' };
const PARAMS = { check_rpm_install: 'yes' };
/** Each side runs in this many alternating slices (raw, queue, raw, queue): load that drifts during the run hits both. */
const SLICES = 2;

// Both run 2,000 jobs: the bash variant takes ~8 s a side, and fewer jobs (round one's 500) left its ratio to the noise.
const VARIANTS = [
  { label: 'Node.js stand-in, exits at once [target]', command: NODE_STANDIN, target: TARGET, key: 'node' },
  { label: 'bash stand-in (queue cost exposed) [target]', command: BASH_STANDIN, target: BASH_TARGET, key: 'bash' },
] as const;

export const dispatchOverhead: Benchmark = {
  name: 'dispatch-overhead',
  title: 'Dispatch overhead vs execa without a queue',
  async run(context) {
    const rows: BenchRow[] = [];
    const details: Record<string, unknown> = { concurrency: CONCURRENCY };
    for (const variant of VARIANTS) {
      const jobs = context.quick ? 500 : 2000;
      let rawMs = 0;
      let queuedMs = 0;
      const rawCpu = { process: 0, redis: 0 };
      const queuedCpu = { process: 0, redis: 0 };
      for (let slice = 0; slice < SLICES; slice++) {
        const releases = Array.from({ length: jobs / SLICES }, (_, index): ReleaseToSubmit => {
          const name = `pkg-${slice}-${index}`;
          return { name, normalized: name, version: '1.0.0' };
        });
        rawMs += await cpuOf(context, rawCpu, () => rawExeca(context, variant.command, releases));
        queuedMs += await cpuOf(context, queuedCpu, () => throughWorkers(context, variant.command, releases));
      }
      const result = rawMs / queuedMs;
      rows.push({
        metric: `${count(jobs)} submits × ${CONCURRENCY}: ${variant.label}`,
        measured: `${perSecond(jobs / (queuedMs / 1000), 'jobs/s')} (${millis(queuedMs)})`,
        baseline: `${perSecond(jobs / (rawMs / 1000), 'runs/s')} (${millis(rawMs)})`,
        ...atLeast(result, variant.target),
      });
      // Extra wall time per job, as a slot sees it.
      details[variant.key] = {
        jobs,
        workersMs: queuedMs,
        execaMs: rawMs,
        ratio: result,
        overheadPerJobMs: ((queuedMs - rawMs) * CONCURRENCY) / jobs,
        // CPU per job of this process (where the workers and the baseline run) and of redis-server.
        cpuPerJobMs: {
          execa: rawCpu.process / jobs,
          workers: queuedCpu.process / jobs,
          workersRedis: queuedCpu.redis / jobs,
        },
      };
    }
    return { rows, details };
  },
};

/** Runs `measure`, adding this process's CPU time and redis-server's (INFO cpu) to `into`, in ms. */
async function cpuOf(context: BenchContext, into: { process: number; redis: number }, measure: () => Promise<number>): Promise<number> {
  const redisCpu = async (): Promise<number> => {
    const info = await context.client.info('cpu');
    const seconds = (name: string): number => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
    return (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1000;
  };
  const redisBefore = await redisCpu();
  const before = process.cpuUsage();
  const ms = await measure();
  const used = process.cpuUsage(before);
  into.process += (used.user + used.system) / 1000;
  into.redis += (await redisCpu()) - redisBefore;
  return ms;
}

/** The command run directly, 8 at a time, each slot with its own HOME (the Node.js stand-in, like submit, needs that). */
async function rawExeca(context: BenchContext, command: string, releases: readonly ReleaseToSubmit[]): Promise<number> {
  const homes = Array.from({ length: CONCURRENCY }, (_, slot) => join(context.dir, 'raw-homes', `slot-${slot}`));
  for (const home of homes) await mkdir(home, { recursive: true });
  let next = 0;
  const { ms } = await timed(() =>
    Promise.all(
      homes.map(async (home) => {
        while (next < releases.length) {
          const release = releases[next++]!;
          const args = buildSubmitArgs({ jobYamlPath: JOB_YAML, name: release.name, target: TARGET_KEYS, params: PARAMS });
          await runStandin(command, args, { HOME: home });
        }
      }),
    ),
  );
  return ms;
}

/** The same submits as queued jobs, drained by startWorkers in this process; timed from start to last completion. */
async function throughWorkers(context: BenchContext, command: string, releases: readonly ReleaseToSubmit[]): Promise<number> {
  const setup = await writeBenchConfig(context, 'dispatch', {
    submit: {
      command,
      concurrency: CONCURRENCY,
      rateLimit: { max: 1_000_000_000, duration: '1s' },
      targets: [TARGET_KEYS],
      params: PARAMS,
    },
  });
  const runtime = await openRuntime({ config: setup.config, logger: context.logger });
  try {
    await enqueueSubmits({
      queue: runtime.queues.submit,
      releases,
      targets: [TARGET_KEYS],
      batchId: batchIdFor(new Date()),
      origin: 'poll',
    });
    let completed = 0;
    let failed = 0;
    let done!: () => void;
    const allDone = new Promise<void>((resolve) => (done = resolve));
    const started = performance.now();
    const workers = await startWorkers(runtime, { queues: ['submit'], concurrency: CONCURRENCY });
    for (const worker of workers.workers) {
      worker.on('completed', () => {
        if (++completed === releases.length) done();
      });
      worker.on('failed', () => {
        failed++;
      });
    }
    await allDone;
    const ms = performance.now() - started;
    await workers.close(10_000);
    if (failed > 0) throw new Error(`${failed} submit attempts failed; see ${join(context.dir, 'bench.log')}`);
    return ms;
  } finally {
    await runtime.close();
    await flushRedis(context);
  }
}
