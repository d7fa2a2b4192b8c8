// The per-poll list of new project names, `pypi_update_YYYYMMDDHHMMSS.txt`, as the old script wrote it.

import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, InvalidBatchRecordError } from '../errors.js';
import { checkProjectName } from '../release/project-name.js';
import { BATCH_DIR_MODE, BATCH_FILE_MODE } from './batch-log.js';
import { localClock, localDay } from './local-time.js';

const UPDATE_LIST = /^pypi_update_\d{14}\.txt$/;

/** `pypi_update_20261125131500.txt` for that local time. */
export function updateListName(date: Date): string {
  return `pypi_update_${localDay(date)}${localClock(date)}.txt`;
}

/**
 * Writes the names, one a line, to `<dir>/pypi_update_YYYYMMDDHHMMSS.txt` and returns the path;
 * writes nothing and returns undefined when there are no names. Atomic (temp file + rename), so a
 * reader never sees half a list. Two lists in the same second: the later replaces the earlier.
 */
export async function writeUpdateList(dir: string, names: readonly string[], date: Date): Promise<string | undefined> {
  if (names.length === 0) return undefined;
  for (const name of names) {
    const checked = checkProjectName(name);
    // One name a line: anything else could smuggle extra lines into operators' scripts.
    if (!checked.ok) throw new InvalidBatchRecordError(`update list name ${JSON.stringify(name.slice(0, 80))} rejected: ${checked.reason}`);
  }
  await mkdir(dir, { recursive: true, mode: BATCH_DIR_MODE });
  const target = join(dir, updateListName(date));
  // A dot name that the prune pattern never matches, even if a crash leaves it behind.
  const temp = join(dir, `.${updateListName(date)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    // Like the batch files: the worker user's, read by operators' scripts running as that user.
    await writeFile(temp, `${names.join('\n')}\n`, { encoding: 'utf8', flag: 'wx', mode: BATCH_FILE_MODE });
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return target;
}

export interface PruneUpdateListsOptions {
  /** Only report what would be removed. @defaultValue false */
  readonly dryRun?: boolean;
}

/**
 * Removes update lists beyond the newest `keep` (newest by name, which is by time) and returns
 * their paths. Only files named exactly `pypi_update_<14 digits>.txt` are touched.
 */
export async function pruneUpdateLists(dir: string, keep: number, options: PruneUpdateListsOptions = {}): Promise<string[]> {
  if (!Number.isInteger(keep) || keep < 0) {
    throw new ConfigError(`Expected \`keep\` to be a non-negative integer, got \`${String(keep)}\``);
  }
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const lists = entries
    .filter((entry) => entry.isFile() && UPDATE_LIST.test(entry.name))
    .map((entry) => entry.name)
    .sort()
    .reverse();
  const removed: string[] = [];
  for (const name of lists.slice(keep)) {
    const path = join(dir, name);
    // force: a cleanup on another host may have removed it first.
    if (options.dryRun !== true) await rm(path, { force: true });
    removed.push(path);
  }
  return removed;
}
