// Opens a farm result folder for reading without trusting it: the farm's shared mount is writable by
// anyone on the farm, so nothing in it may block this process or lead it outside the mapped root.

import { constants, type Stats } from 'node:fs';
import { lstat, open, realpath, stat, type FileHandle } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import { captureAfter, scanFor, type ChunkReader } from './file-scan.js';
import type { FsGate } from './fs-gate.js';
import { UnreadableResultError } from '../errors.js';

/**
 * O_NONBLOCK: a FIFO swapped in after the lstat check still opens at once (and then fails the
 * fstat check) instead of holding a threadpool thread until a writer appears, which may be never.
 * O_NOFOLLOW: a symlink swapped in after the check fails with ELOOP instead of being followed.
 */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW | constants.O_NOCTTY;

export interface ResultReadOptions {
  /** Every filesystem call on the result mount goes through it (bounded threads, per-call timeout). */
  readonly gate: FsGate;
  /** Bytes read at most from one file (ms are the gate's). @defaultValue 256 MiB */
  readonly maxScanBytes?: number;
}

const DEFAULT_MAX_SCAN_BYTES = 256 * 1024 * 1024;

/**
 * The folder at `dir`, once its real path is known to be inside `root`'s; undefined while it (or
 * the root's mount) does not exist yet. Throws UnreadableResultError for a folder not to be read.
 */
export async function openResultFolder(dir: string, root: string, options: ResultReadOptions): Promise<ResultFolder | undefined> {
  const { gate } = options;
  const realRoot = await missingAsUndefined(gate.run(() => realpath(root)));
  if (realRoot === undefined) return undefined;
  const realDir = await missingAsUndefined(gate.run(() => realpath(dir))).catch((error: unknown) => {
    // A loop of links: nothing the farm writes.
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw new UnreadableResultError('symlink', undefined, { cause: error });
    throw error;
  });
  if (realDir === undefined) return undefined;
  if (!isInside(realRoot, realDir)) throw new UnreadableResultError('outside-root');
  const info = await gate.run(() => stat(realDir));
  if (!info.isDirectory()) throw new UnreadableResultError('not-a-directory');
  return new ResultFolder(realDir, realRoot, options);
}

export class ResultFolder {
  /** The folder's real path (no symlinks in it). */
  readonly path: string;
  readonly #root: string;
  readonly #gate: FsGate;
  readonly #maxScanBytes: number;

  constructor(path: string, root: string, options: ResultReadOptions) {
    this.path = path;
    this.#root = root;
    this.#gate = options.gate;
    this.#maxScanBytes = options.maxScanBytes ?? DEFAULT_MAX_SCAN_BYTES;
  }

  /**
   * A regular file's lstat, or undefined when there is no such entry. Never follows a link, never
   * opens anything: a FIFO or a symlink is refused here without touching what it leads to.
   */
  async file(name: string): Promise<Stats | undefined> {
    const info = await missingAsUndefined(this.#gate.run(() => lstat(join(this.path, name)), name));
    if (info === undefined) return undefined;
    if (info.isSymbolicLink()) throw new UnreadableResultError('symlink', name);
    if (!info.isFile()) throw new UnreadableResultError('not-a-regular-file', name);
    return info;
  }

  /** Which needles occur in the file (none when it does not exist), reading at most `maxScanBytes`. */
  async scan(name: string, needles: readonly string[]): Promise<Set<string>> {
    return (await this.#read(name, (read, maxBytes) => scanFor(read, needles, { maxBytes }))) ?? new Set();
  }

  /** What follows each `needle` in the file (nothing when it does not exist), under the same bounds as `scan`. */
  async capture(name: string, needle: string, limits: { readonly captureBytes: number; readonly maxMatches: number }): Promise<string[]> {
    return (await this.#read(name, (read, maxBytes) => captureAfter(read, needle, { maxBytes, ...limits }))) ?? [];
  }

  /** Opens `name` without following anything, checks what was opened, and hands `consume` a bounded reader. */
  async #read<T>(name: string, consume: (read: ChunkReader, maxBytes: number) => Promise<T>): Promise<T | undefined> {
    if ((await this.file(name)) === undefined) return undefined;
    const path = join(this.path, name);
    const gate = this.#gate;
    let handle: FileHandle | undefined;
    try {
      handle = await gate.run(
        () => open(path, OPEN_FLAGS),
        name,
        (late) => void late.close().catch(() => undefined),
      );
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      if (code === 'ELOOP') throw new UnreadableResultError('symlink', name, { cause: error });
      if (code === 'ENXIO' || code === 'EOPNOTSUPP') throw new UnreadableResultError('not-a-regular-file', name, { cause: error });
      throw error;
    }
    const opened = handle;
    // Set while a call on the handle is outstanding: FileHandle.close waits for those, so after a
    // timed-out call the handle is closed in the background instead of awaited.
    let outstanding = false;
    const onHandle = async <T>(call: () => Promise<T>): Promise<T> => {
      outstanding = true;
      const value = await gate.run(call, name);
      outstanding = false;
      return value;
    };
    try {
      // What was opened, not what lstat saw: the entry may have been swapped in between.
      const info = await onHandle(() => opened.stat());
      if (!info.isFile()) throw new UnreadableResultError('not-a-regular-file', name);
      await this.#checkStillInside(path, info, name);
      return await consume(
        async (buffer, position, length) => (await onHandle(() => opened.read(buffer, 0, length, position))).bytesRead,
        this.#maxScanBytes,
      );
    } finally {
      if (outstanding) void opened.close().catch(() => undefined);
      else await gate.run(() => opened.close(), name).catch(() => undefined);
    }
  }

  /** A parent swapped for a symlink between the folder check and the open would show here. */
  async #checkStillInside(path: string, opened: Stats, name: string): Promise<void> {
    const real = await this.#gate.run(() => realpath(path), name);
    if (!isInside(this.#root, real)) throw new UnreadableResultError('outside-root', name);
    const now = await this.#gate.run(() => lstat(real), name);
    if (now.dev !== opened.dev || now.ino !== opened.ino) throw new UnreadableResultError('outside-root', name);
  }
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith('../') && !isAbsolute(rel));
}

async function missingAsUndefined<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}
