// Whether a process still runs, for the pid files and lock holders pypi-watch leaves behind.

import { readFileSync } from 'node:fs';

export interface ProcessAliveOptions {
  /**
   * What a process that exists but belongs to another user (kill answers EPERM) counts as.
   * `alive` where a wrong "gone" destroys work (a lock, a submit home); `gone` where the process
   * must be our own to be trusted (the embedded redis-server runs as us, so another user's is not it).
   * @defaultValue 'alive'
   */
  readonly otherUsers?: 'alive' | 'gone';
}

/**
 * Whether `pid` is a live process. A zombie (Linux /proc state Z or X) counts as gone: it has
 * exited, and keeps a pid only until its parent reaps it (in a container whose PID 1 does not
 * reap, forever). Without /proc (not Linux) the signal-0 answer is all there is to know.
 */
export function processAlive(pid: number, options: ProcessAliveOptions = {}): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' && (options.otherUsers ?? 'alive') === 'alive';
  }
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return true;
  }
  // The command name in parentheses may hold spaces or ')': the state follows the last ')'.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}
