// Timeout for a subprocess that leads its own process group: the whole group is killed, not just the leader.

import { readdirSync, readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';

/** The parts of an execa subprocess (a ChildProcess) the timeout needs. */
export interface TimedSubprocess {
  readonly pid?: number | undefined;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  once(event: 'exit', listener: () => void): unknown;
}

/**
 * SIGTERM to the whole process group after `timeoutMs`, SIGKILL `graceMs` later for whatever
 * is left of it: submit's children (ruby, git, tar) are in the group too. When the leader exits
 * but something it started keeps our pipes open, the group gets SIGKILL `graceMs` after the
 * exit, so a finished submit is not held up until the timeout.
 */
export class GroupTimeout {
  private timedOut = false;
  private leaderExited = false;
  private leaderExitedBeforeTimeout = false;
  private graceTimer: NodeJS.Timeout | undefined;
  private drainTimer: NodeJS.Timeout | undefined;
  private killed: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout;

  /** Starts the clock; the subprocess must have been spawned with `detached: true`. */
  constructor(
    private readonly subprocess: TimedSubprocess,
    timeoutMs: number,
    private readonly graceMs: number,
  ) {
    subprocess.once('exit', () => {
      this.leaderExited = true;
      // Only SIGKILL here, no stream destroy: the pipes may still hold the leader's last lines.
      if (!this.timedOut) this.drainTimer = setTimeout(() => killGroup(this.subprocess.pid, 'SIGKILL'), this.graceMs);
    });
    this.timer = setTimeout(() => this.expire(), timeoutMs);
  }

  /**
   * Call once the subprocess is done; resolves to whether the leader itself ran out of time.
   * A leader that exited in time is no timeout, whatever had to be killed after it.
   */
  async settle(): Promise<boolean> {
    clearTimeout(this.timer);
    clearTimeout(this.drainTimer);
    if (!this.timedOut) return false;
    if (isGroupAlive(this.subprocess.pid)) {
      await this.killed;
    } else {
      // Nothing left to kill; a later SIGKILL could only hit a reused process group id.
      clearTimeout(this.graceTimer);
    }
    return !this.leaderExitedBeforeTimeout;
  }

  private expire(): void {
    this.timedOut = true;
    this.leaderExitedBeforeTimeout = this.leaderExited;
    killGroup(this.subprocess.pid, 'SIGTERM');
    this.killed = new Promise((resolve) => {
      this.graceTimer = setTimeout(() => {
        killGroup(this.subprocess.pid, 'SIGKILL');
        // A grandchild that left the group could hold our pipes open forever; stop waiting for them.
        this.subprocess.stdout?.destroy();
        this.subprocess.stderr?.destroy();
        resolve();
      }, this.graceMs);
    });
  }
}

/**
 * Whether any process of the group still runs. Zombies do not count: in a container whose
 * PID 1 does not reap orphans they linger forever, and waiting for them would always cost the
 * full grace period. Falls back to kill(-pgid, 0) where there is no /proc.
 */
function isGroupAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  const fromProc = liveGroupMembersFromProc(pid);
  if (fromProc !== undefined) return fromProc > 0;
  try {
    process.kill(-pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function liveGroupMembersFromProc(pgid: number): number | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  let live = 0;
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parens, so split after the last ")".
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') live += 1;
  }
  return live;
}

/** Never throws: it runs in timer callbacks, where a throw would take the whole worker down. */
function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the whole group is already gone. Nothing else can be done about EPERM here.
  }
}
