// Busy-loop child processes that load the machine while a benchmark runs (issue 16: the rate limit
// must hold on a loaded machine). Each hog exits by itself after `maxMs`, so a bench that dies
// leaves nothing spinning; `stop` ends them sooner.

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';

export interface CpuHog {
  /** How many busy loops run. */
  readonly processes: number;
  stop(): Promise<void>;
}

/** Starts `processes` busy loops (default: one per CPU), each ending on its own after `maxMs`. */
export function startCpuHog(maxMs: number, processes = availableParallelism()): CpuHog {
  // The clock is read every 1M additions (~1 ms): cheap, and the bound holds within a few ms.
  const script = `const end = Date.now() + ${Math.ceil(maxMs)}; let x = 0;
while (Date.now() < end) { for (let i = 0; i < 1e6; i++) x += i; }`;
  const children: ChildProcess[] = Array.from({ length: processes }, () =>
    spawn(process.execPath, ['-e', script], { stdio: 'ignore', env: { PATH: process.env['PATH'] ?? '' } }),
  );
  return {
    processes,
    stop: async () => {
      await Promise.all(
        children.map(async (child) => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const exited = once(child, 'exit');
          child.kill('SIGKILL');
          await exited;
        }),
      );
    },
  };
}
