// `pypi-watch worker` child processes for the crash suite: start, SIGKILL, replace, and tell
// the exits we caused from the ones we did not.

import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { spawnCli, waitFor } from '@pypi-watch/test-utils';

export type WorkerRole = 'submit' | 'poll';

export interface FleetWorker {
  readonly role: WorkerRole;
  readonly pid: number;
  readonly child: ChildProcess & { output(): { stdout: string; stderr: string } };
  /** Set when the test killed it on purpose. */
  killedAt?: number;
}

export interface Kill {
  readonly role: WorkerRole;
  readonly pid: number;
  readonly at: number;
}

export interface UnexpectedExit {
  readonly role: WorkerRole;
  readonly pid: number;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderrTail: string;
}

export interface WorkerFleetOptions {
  readonly configFile: string;
  readonly env: NodeJS.ProcessEnv;
  /** `--concurrency` of each submit worker. */
  readonly submitConcurrency: number;
}

export class WorkerFleet {
  readonly kills: Kill[] = [];
  readonly unexpectedExits: UnexpectedExit[] = [];
  /** Every worker ever started, for log checks at the end. */
  readonly all: FleetWorker[] = [];
  readonly #live = new Set<FleetWorker>();
  readonly #options: WorkerFleetOptions;
  #stopping = false;

  constructor(options: WorkerFleetOptions) {
    this.#options = options;
  }

  live(role: WorkerRole): FleetWorker[] {
    return [...this.#live].filter((worker) => worker.role === role);
  }

  start(role: WorkerRole): FleetWorker {
    const args = ['worker', '--queues', role, '--config', this.#options.configFile];
    if (role === 'submit') args.push('--concurrency', String(this.#options.submitConcurrency));
    const child = spawnCli(args, { env: this.#options.env });
    if (child.pid === undefined) throw new Error(`could not spawn a ${role} worker`);
    const worker: FleetWorker = { role, pid: child.pid, child };
    this.all.push(worker);
    this.#live.add(worker);
    child.once('exit', (code, signal) => {
      this.#live.delete(worker);
      if (worker.killedAt === undefined && !this.#stopping) {
        this.unexpectedExits.push({ role, pid: worker.pid, code, signal, stderrTail: child.output().stderr.slice(-2000) });
      }
    });
    return worker;
  }

  /** Resolves once every live worker has logged that its workers started (it is connected and serving). */
  async ready(timeoutMs = 60_000): Promise<void> {
    await waitFor(() => [...this.#live].every((worker) => worker.child.output().stdout.includes('"msg":"workers started"')), {
      timeoutMs,
      intervalMs: 100,
      what: 'every worker process to log "workers started"',
    });
  }

  /** SIGKILL, as an OOM kill or a power cut would; waits for the exit. */
  async kill(worker: FleetWorker): Promise<void> {
    if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
    worker.killedAt = Date.now();
    this.kills.push({ role: worker.role, pid: worker.pid, at: worker.killedAt });
    const exited = once(worker.child, 'exit');
    worker.child.kill('SIGKILL');
    await exited;
  }

  /**
   * SIGTERM every live worker, as an operator stopping the service would; returns each exit code
   * (null: still running after `graceMs`, then SIGKILLed).
   */
  async stopAll(graceMs = 20_000): Promise<Array<{ role: WorkerRole; pid: number; code: number | null }>> {
    this.#stopping = true;
    return Promise.all(
      [...this.#live].map(async (worker) => {
        if (worker.child.exitCode !== null || worker.child.signalCode !== null)
          return { role: worker.role, pid: worker.pid, code: worker.child.exitCode };
        const exited = once(worker.child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
        worker.child.kill('SIGTERM');
        const timer = setTimeout(() => worker.child.kill('SIGKILL'), graceMs);
        const [code, signal] = await exited;
        clearTimeout(timer);
        return { role: worker.role, pid: worker.pid, code: signal === null ? code : null };
      }),
    );
  }
}
