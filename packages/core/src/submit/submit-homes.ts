// One HOME per concurrently running submit, so their lkp-tests pack caches never collide.

import { lstat, mkdir, readdir, rm, symlink } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { SubmitRunnerClosedError } from '../errors.js';
import { processAlive } from '../process/process-alive.js';

/**
 * submit packs lkp-tests changes into `$HOME/.cache/compass-ci` before every call, and two
 * calls sharing a HOME corrupt that cache. Each slot is a HOME of its own, with `.config`
 * linked to the real one so the account in `~/.config/compass-ci/defaults` is still found.
 */
export interface SubmitHomeSlot {
  readonly index: number;
  /** The folder to pass as HOME. */
  readonly home: string;
}

export interface SubmitHomePoolOptions {
  /** Folder holding one `<hostname>-<pid>` folder per process. */
  readonly homeRoot: string;
  /** The user's real HOME, whose `.config` each slot links to. */
  readonly realHome: string;
  /** Number of slots: at most this many submits run at once. */
  readonly size: number;
  /** Host name in the folder name. @defaultValue `os.hostname()` */
  readonly hostname?: string;
}

/**
 * Host names go into a folder name: keep them to a safe alphabet. "-" becomes "_" too, so
 * `<host>-<pid>` splits one way only and host "a" never prunes host "a-1"'s folders.
 */
export function hostFolderPrefix(hostname: string = osHostname()): string {
  return hostname.replace(/[^A-Za-z0-9._]/g, '_') || 'host';
}

/** A fixed pool of HOME folders; `acquire` waits in FIFO order when every slot is busy. */
export class SubmitHomePool {
  /** `<homeRoot>/<hostname>-<pid>`, removed by `close()`. */
  readonly processDir: string;
  private readonly realHome: string;
  private readonly free: number[];
  private readonly prepared = new Set<number>();
  private readonly waiters: Array<{ resolve: (slot: SubmitHomeSlot) => void; reject: (error: Error) => void }> = [];
  private closed = false;

  constructor(options: SubmitHomePoolOptions) {
    this.processDir = join(options.homeRoot, `${hostFolderPrefix(options.hostname)}-${process.pid}`);
    this.realHome = options.realHome;
    this.free = Array.from({ length: options.size }, (_, index) => index);
  }

  async acquire(): Promise<SubmitHomeSlot> {
    if (this.closed) throw new SubmitRunnerClosedError();
    const index = this.free.shift();
    const slot =
      index !== undefined
        ? this.slot(index)
        : await new Promise<SubmitHomeSlot>((resolve, reject) => this.waiters.push({ resolve, reject }));
    try {
      await this.prepare(slot.index);
    } catch (error) {
      this.release(slot);
      throw error;
    }
    return slot;
  }

  release(slot: SubmitHomeSlot): void {
    const waiter = this.waiters.shift();
    // Hand the slot straight to the next waiter so a new caller cannot jump the queue.
    if (waiter !== undefined) waiter.resolve(slot);
    else this.free.push(slot.index);
  }

  /** Rejects callers still waiting and removes this process's folder; call once no submit runs. */
  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) waiter.reject(new SubmitRunnerClosedError());
    await rm(this.processDir, { recursive: true, force: true });
  }

  private slot(index: number): SubmitHomeSlot {
    return { index, home: join(this.processDir, `slot-${index}`) };
  }

  private async prepare(index: number): Promise<void> {
    if (this.prepared.has(index)) return;
    const { home } = this.slot(index);
    await mkdir(join(home, '.cache'), { recursive: true, mode: 0o700 });
    const link = join(home, '.config');
    const existing = await lstat(link).catch(() => undefined);
    // The link may dangle until the account is set up; submit then reports the missing account itself.
    if (existing === undefined) await symlink(join(this.realHome, '.config'), link, 'dir');
    this.prepared.add(index);
  }
}

/**
 * Removes `<homeRoot>/<this host>-<pid>` folders whose process is gone (a crashed or killed
 * worker never ran `close()`). Other hosts' folders are left alone: their pids mean nothing here.
 * Returns the removed paths.
 */
export async function pruneStaleSubmitHomes(homeRoot: string, hostname: string = osHostname()): Promise<string[]> {
  const prefix = `${hostFolderPrefix(hostname)}-`;
  let entries: string[];
  try {
    entries = await readdir(homeRoot);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const removed: string[] = [];
  for (const entry of entries) {
    if (!entry.startsWith(prefix)) continue;
    const pidText = entry.slice(prefix.length);
    if (!/^[1-9]\d{0,9}$/.test(pidText)) continue;
    const pid = Number(pidText);
    if (pid === process.pid || processAlive(pid)) continue;
    const path = join(homeRoot, entry);
    await rm(path, { recursive: true, force: true });
    removed.push(path);
  }
  return removed;
}
