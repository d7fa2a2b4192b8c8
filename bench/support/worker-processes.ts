// `pypi-watch worker` processes, spawned the way an operator runs them, for the multi-process benchmarks.

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from '@pypi-watch/test-utils';

/**
 * The production command: the bin runs the build in dist/ (`pnpm bench` runs `pnpm build` first), so
 * the numbers are those of what operators run, not of a transpiler.
 */
export const CLI = join(REPO_ROOT, 'apps/cli/bin/pypi-watch.js');
/**
 * Config the environment could override (loadConfig reads these); the bench config must win.
 * LOG_FORMAT too: the bench reads the workers' JSON lines.
 */
const SCRUBBED_ENV = [
  'REDIS_URL',
  'PYPI_BASE_URL',
  'LOG_LEVEL',
  'LOG_FORMAT',
  'PYPI_WATCH_CONFIG',
  'AI_API_KEY',
  'AI_BASE_URL',
  'AI_MODEL',
];

export interface WorkerProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves once the process logged `workers started`. */
  readonly ready: Promise<void>;
  /** SIGTERM, then wait for the exit (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnWorkerOptions {
  readonly configFile: string;
  /** `--queues`; unset: `submit` only. */
  readonly queues?: readonly string[];
  /** `--concurrency`; unset: `submit.concurrency` from the config. */
  readonly concurrency?: number;
  /** Added to the environment, e.g. STANDIN_SUBMIT_RECORD. */
  readonly env?: Readonly<Record<string, string>>;
  /** The process's JSON log lines go here. */
  readonly logFile: string;
}

export function spawnSubmitWorker(options: SpawnWorkerOptions): WorkerProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  for (const name of SCRUBBED_ENV) delete env[name];
  const args = [CLI, 'worker', '--queues', (options.queues ?? ['submit']).join(','), '--config', options.configFile];
  if (options.concurrency !== undefined) args.push('--concurrency', String(options.concurrency));
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(options.logFile, { flags: 'a' });
  child.stderr?.pipe(log, { end: false });
  const exited = once(child, 'exit');
  const ready = new Promise<void>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      log.write(`${line}\n`);
      if (line.includes('"msg":"workers started"')) resolve();
    });
    void exited.then(([code, signal]) =>
      reject(new Error(`worker exited (${String(code ?? signal)}) before it started; see ${options.logFile}`)),
    );
  });
  ready.catch(() => {}); // a caller that never awaits ready must not crash the run
  return {
    pid: child.pid ?? 0,
    child,
    ready,
    stop: async (graceMs = 10_000) => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      await new Promise<void>((resolve) => log.end(resolve));
    },
  };
}

/** VmRSS and VmHWM (peak) of a process, in bytes; undefined once it has gone. */
export async function readMemory(pid: number): Promise<{ rss: number; hwm: number } | undefined> {
  let status: string;
  try {
    status = await readFile(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}
