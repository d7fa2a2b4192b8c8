// Benchmark 6: what a process costs before it does anything — wall time of `pypi-watch --help` and of
// `status --json` against the run's Redis (each beside a bare `node -e 0` in the same run), an idle
// worker's RSS, and the size of the production node_modules the images install.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { REPO_ROOT } from '@pypi-watch/test-utils';
import { writeBenchConfig } from './support/bench-config.js';
import { atMost, megabytes, millis, ratio, type Benchmark } from './support/results.js';
import { CLI, readMemory, spawnSubmitWorker } from './support/worker-processes.js';

const HELP_TARGET_MS = 150;
const STATUS_TARGET_MS = 400;
const IDLE_RSS_TARGET = 90 * 1024 * 1024;
const IDLE_MS = 5_000;
/** What `pnpm install --prod` reads: the images copy exactly these before installing. */
const MANIFESTS = [
  'package.json',
  'pnpm-lock.yaml',
  'pnpm-workspace.yaml',
  'packages/core/package.json',
  ...['cli', 'dashboard', 'scheduler', 'worker'].map((app) => `apps/${app}/package.json`),
];

export const startUp: Benchmark = {
  name: 'start-up',
  title: 'Start-up: --help and status --json wall time, idle worker RSS, production node_modules',
  async run(context) {
    const runs = context.quick ? 5 : 15;
    const setup = await writeBenchConfig(context, 'start-up');
    // Interleaved, so a burst of load from elsewhere weighs on all three alike.
    const times = { bare: [] as number[], help: [] as number[], status: [] as number[] };
    for (let index = 0; index < runs + 1; index++) {
      const bare = await wallMs(['-e', '0'], setup.dir);
      const help = await wallMs([CLI, '--help'], setup.dir);
      const status = await wallMs([CLI, 'status', '--json', '--config', setup.configFile], setup.dir);
      // The first round warms the page cache; it is not counted.
      if (index === 0) continue;
      times.bare.push(bare);
      times.help.push(help);
      times.status.push(status);
    }
    const bare = median(times.bare);
    const help = median(times.help);
    const status = median(times.status);
    const idle = await idleWorkerRss(setup.configFile, join(setup.dir, 'worker.log'));
    const prodModules = await productionNodeModulesBytes(context.dir);
    return {
      rows: [
        {
          metric: `pypi-watch --help, median of ${runs}`,
          measured: millis(help),
          baseline: `node -e 0: ${millis(bare)} (${ratio(help / bare)})`,
          ...atMost(help, HELP_TARGET_MS, millis),
        },
        {
          metric: `pypi-watch status --json (run's Redis), median of ${runs}`,
          measured: millis(status),
          baseline: `node -e 0: ${millis(bare)} (${ratio(status / bare)})`,
          ...atMost(status, STATUS_TARGET_MS, millis),
        },
        {
          metric: `idle worker --queues submit, VmRSS ${IDLE_MS / 1000} s after start`,
          measured: megabytes(idle.rss),
          baseline: `VmHWM ${megabytes(idle.hwm)}`,
          ...atMost(idle.rss, IDLE_RSS_TARGET, megabytes),
        },
        {
          metric: 'production node_modules (pnpm install --prod, as the images)',
          measured: prodModules === undefined ? 'n/a (pnpm or its store missing)' : megabytes(prodModules),
        },
      ],
      details: {
        runs,
        bareMs: times.bare,
        helpMs: times.help,
        statusMs: times.status,
        idleWorker: idle,
        productionNodeModulesBytes: prodModules,
      },
    };
  },
};

/** Wall time of one `node …` from spawn to exit, with a clean environment (the bench config must win). */
async function wallMs(args: readonly string[], cwd: string): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME }, stdio: 'ignore' });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`node ${args.join(' ')} exited ${String(code)}`);
  return performance.now() - started;
}

async function idleWorkerRss(configFile: string, logFile: string): Promise<{ rss: number; hwm: number }> {
  const worker = spawnSubmitWorker({ configFile, logFile });
  try {
    await worker.ready;
    await sleep(IDLE_MS);
    const memory = await readMemory(worker.pid);
    if (memory === undefined) throw new Error(`the idle worker exited; see ${logFile}`);
    return memory;
  } finally {
    await worker.stop();
  }
}

/** The images' production install, into a scratch copy of the manifests, from pnpm's store (no network). */
async function productionNodeModulesBytes(runDir: string): Promise<number | undefined> {
  const dir = await mkdtemp(join(runDir, 'prod-install-'));
  try {
    for (const file of MANIFESTS) {
      await mkdir(dirname(join(dir, file)), { recursive: true });
      await copyFile(join(REPO_ROOT, file), join(dir, file));
    }
    const install = await execa('pnpm', ['install', '--frozen-lockfile', '--prod', '--ignore-scripts', '--offline'], {
      cwd: dir,
      reject: false,
      env: { CI: 'true' },
    });
    if (install.exitCode !== 0) return undefined;
    // du counts a hard-linked file once: the size the image layer gets.
    const du = await execa('du', ['-sk', 'node_modules'], { cwd: dir });
    return Number(du.stdout.split('\t')[0]) * 1024;
  } catch {
    return undefined;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}
