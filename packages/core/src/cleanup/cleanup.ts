// The cleanup job: prunes old batch log folders, surplus update lists, expired dedupe entries and
// decision stories (hash fields, which Redis 7.0 cannot expire one by one).

import { lstat, readdir, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { parseBatchTime } from '../batch/batch-log.js';
import { pruneUpdateLists } from '../batch/update-list.js';
import type { Config } from '../config/load-config.js';
import type { DecisionLog } from '../decisions/decision-log.js';
import type { DedupeStore } from '../dedupe/dedupe-store.js';
import type { Logger } from '../logging/logger.js';
import type { ResultStore } from '../results/result-store.js';
import type { Stores } from '../wiring/create-stores.js';
import { pruneStaleSubmitHomes } from '../submit/submit-homes.js';

export interface CleanupOptions {
  /** Folder holding `submit-log-YYYYMMDD-HHMMSS/` batches. */
  readonly logDir: string;
  /** Folder holding `pypi_update_YYYYMMDDHHMMSS.txt` lists. */
  readonly updateListDir: string;
  /** Update lists to keep, newest first. */
  readonly keepUpdateLists: number;
  /** Batch folders older than this are removed (ms). */
  readonly maxAgeMs: number;
  /** List what would go, remove nothing. @defaultValue false */
  readonly dryRun?: boolean;
  /** Trims expired entries when given. */
  readonly dedupe?: DedupeStore;
  /** Deletes the decision stories and shared strings nothing wrote to within its TTL when given. */
  readonly decisions?: DecisionLog;
  /** Build outcomes finished longer than `maxAgeMs` ago are dropped when given (the report's history). */
  readonly results?: { readonly store: ResultStore; readonly maxAgeMs: number };
  /** Per-slot HOME folders of submit runners; those of dead processes are removed when given. */
  readonly submitHomeRoot?: string;
  /** Where per-item and per-step failures are reported (they never stop the other items). */
  readonly logger?: Logger;
  /** @defaultValue Date.now */
  readonly now?: () => number;
}

export interface CleanupResult {
  readonly removedBatches: string[];
  readonly removedUpdateLists: string[];
  readonly expiredDedupe: number;
  /** Decision stories whose newest entry was older than `dedupe.ttl` (counted only, on a dry run). */
  readonly expiredDecisions: number;
  /** Items and steps that failed (each logged); 0 on a clean run. A race lost to another cleanup is not one. */
  readonly failures: number;
}

/** The prune kinds, as named in the `cleanup step failed` log line. */
export type CleanupStep = 'batches' | 'update-lists' | 'dedupe' | 'decisions' | 'submit-homes' | 'results';

/**
 * Every item and every prune kind fails alone: another cleanup (another host sharing the folder)
 * removing something first is no failure at all, and anything else is logged, counted in
 * `failures`, and skipped, so one odd entry never leaves the rest of the prunes undone.
 */
export async function runCleanup(options: CleanupOptions): Promise<CleanupResult> {
  const dryRun = options.dryRun ?? false;
  const now = (options.now ?? Date.now)();
  let failures = 0;
  const fail = (step: CleanupStep, error: unknown, path?: string): void => {
    failures++;
    options.logger?.warn({ step, ...(path === undefined ? {} : { path }), err: error }, 'cleanup step failed');
  };
  /** Runs one prune kind; its failure is counted and the next kind still runs. */
  const step = async <T>(name: CleanupStep, fallback: T, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      fail(name, error);
      return fallback;
    }
  };

  const removedBatches = await step('batches', [], () => pruneBatches(options.logDir, now - options.maxAgeMs, dryRun, fail));
  const removedUpdateLists = await step('update-lists', [], () =>
    pruneUpdateLists(options.updateListDir, options.keepUpdateLists, { dryRun }),
  );
  const dedupe = options.dedupe;
  const expiredDedupe = dedupe ? await step('dedupe', 0, () => (dryRun ? dedupe.countExpired() : dedupe.trimExpired())) : 0;
  const decisions = options.decisions;
  const expiredDecisions = decisions ? await step('decisions', 0, async () => (await decisions.prune({ dryRun })).stories) : 0;
  const homeRoot = options.submitHomeRoot;
  if (homeRoot && !dryRun) await step('submit-homes', [], () => pruneStaleSubmitHomes(homeRoot));
  const results = options.results;
  if (results && !dryRun) await step('results', 0, () => results.store.trim(now - results.maxAgeMs));
  return { removedBatches, removedUpdateLists, expiredDedupe, expiredDecisions, failures };
}

/** Removes batch folders named for a time before `cutoff`; returns the paths it removed. */
async function pruneBatches(
  logDir: string,
  cutoff: number,
  dryRun: boolean,
  fail: (step: CleanupStep, error: unknown, path: string) => void,
): Promise<string[]> {
  const removed: string[] = [];
  for (const entry of await listDir(logDir)) {
    // Only entries that are batches by name; anything else an operator put there is left alone.
    const time = parseBatchTime(entry);
    if (time === undefined || time.getTime() >= cutoff) continue;
    const path = join(logDir, entry);
    try {
      if (await removeBatch(path, dryRun)) removed.push(path);
    } catch (error) {
      if (isGone(error)) continue;
      fail('batches', error, path);
    }
  }
  return removed;
}

/**
 * lstat, never stat: a link named like a batch (dangling, or into a folder outside logDir) is
 * removed as the link itself, and whatever it points at is never looked at nor deleted.
 * Returns false when the entry was gone already or is not ours (a plain file by that name).
 */
async function removeBatch(path: string, dryRun: boolean): Promise<boolean> {
  const info = await lstat(path);
  if (info.isSymbolicLink()) {
    if (!dryRun) await unlink(path);
    return true;
  }
  if (!info.isDirectory()) return false;
  // rm does not follow links inside the folder; force makes a child already removed by another
  // cleanup no error, and the retries cover a child that was mid-removal when listed.
  if (!dryRun) await rm(path, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 });
  return true;
}

/** ENOENT (or ENOTDIR for a parent swapped away) while racing another cleanup: someone else removed it. */
function isGone(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

export interface ConfigCleanupOptions {
  readonly config: Config;
  readonly stores: Pick<Stores, 'dedupe' | 'results' | 'decisions'>;
  readonly dryRun?: boolean;
  /** Where failed items and steps are reported. */
  readonly logger?: Logger;
}

/** The cleanup as configured: what the repeatable job and `pypi-watch cleanup` both run. */
export function runCleanupForConfig({ config, stores, dryRun, logger }: ConfigCleanupOptions): Promise<CleanupResult> {
  return runCleanup({
    logDir: config.paths.logDir,
    updateListDir: config.paths.updateListDir,
    keepUpdateLists: config.paths.keepUpdateLists,
    maxAgeMs: config.cleanup.maxAge,
    dryRun: dryRun ?? false,
    ...(logger === undefined ? {} : { logger }),
    dedupe: stores.dedupe,
    decisions: stores.decisions,
    submitHomeRoot: join(config.dataDir, 'submit-home'),
    results: { store: stores.results, maxAgeMs: config.dedupe.ttl },
  });
}

export function createCleanupProcessor(deps: { config: Config; stores: ConfigCleanupOptions['stores']; logger: Logger }) {
  return async function processCleanup(): Promise<CleanupResult> {
    const log = deps.logger.child({ queue: 'cleanup' });
    const result = await runCleanupForConfig({ config: deps.config, stores: deps.stores, logger: log });
    // Failures were logged one by one; the job still completes, and the next run tries them again.
    (result.failures > 0 ? log.warn.bind(log) : log.info.bind(log))(
      {
        removedBatches: result.removedBatches.length,
        removedUpdateLists: result.removedUpdateLists.length,
        expiredDedupe: result.expiredDedupe,
        expiredDecisions: result.expiredDecisions,
        failures: result.failures,
      },
      'cleanup done',
    );
    return result;
  };
}
