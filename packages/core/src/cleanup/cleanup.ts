// The cleanup job: prunes old batch log folders, surplus update lists and expired dedupe entries.

import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { parseBatchTime } from '../batch/batch-log.js';
import { pruneUpdateLists } from '../batch/update-list.js';
import type { Config } from '../config/load-config.js';
import { DedupeStore } from '../dedupe/dedupe-store.js';
import type { Logger } from '../logging/logger.js';
import { bullPrefix } from '../queues/queue-names.js';
import { ResultStore } from '../results/result-store.js';
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
  /** Build outcomes finished longer than `maxAgeMs` ago are dropped when given (the report's history). */
  readonly results?: { readonly store: ResultStore; readonly maxAgeMs: number };
  /** Per-slot HOME folders of submit runners; those of dead processes are removed when given. */
  readonly submitHomeRoot?: string;
  /** @defaultValue Date.now */
  readonly now?: () => number;
}

export interface CleanupResult {
  readonly removedBatches: string[];
  readonly removedUpdateLists: string[];
  readonly expiredDedupe: number;
}

export async function runCleanup(options: CleanupOptions): Promise<CleanupResult> {
  const dryRun = options.dryRun ?? false;
  const now = (options.now ?? Date.now)();
  const removedBatches: string[] = [];
  for (const entry of await listDir(options.logDir)) {
    // Only folders that are batches by name; anything else an operator put there is left alone.
    const time = parseBatchTime(entry);
    if (time === undefined || now - time.getTime() <= options.maxAgeMs) continue;
    const path = join(options.logDir, entry);
    if (!(await stat(path)).isDirectory()) continue;
    if (!dryRun) await rm(path, { recursive: true, force: true });
    removedBatches.push(path);
  }
  const removedUpdateLists = await pruneUpdateLists(options.updateListDir, options.keepUpdateLists, { dryRun });
  const expiredDedupe = options.dedupe ? (dryRun ? await options.dedupe.countExpired() : await options.dedupe.trimExpired()) : 0;
  if (options.submitHomeRoot && !dryRun) await pruneStaleSubmitHomes(options.submitHomeRoot);
  if (options.results && !dryRun) await options.results.store.trim(now - options.results.maxAgeMs);
  return { removedBatches, removedUpdateLists, expiredDedupe };
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
  readonly redis: Redis;
  readonly dryRun?: boolean;
}

/** The cleanup as configured: what the repeatable job and `pypi-watch cleanup` both run. */
export function runCleanupForConfig({ config, redis, dryRun }: ConfigCleanupOptions): Promise<CleanupResult> {
  return runCleanup({
    logDir: config.paths.logDir,
    updateListDir: config.paths.updateListDir,
    keepUpdateLists: config.paths.keepUpdateLists,
    maxAgeMs: config.cleanup.maxAge,
    dryRun: dryRun ?? false,
    dedupe: new DedupeStore({ redis, keyPrefix: bullPrefix(config.redis.prefix), ttlMs: config.dedupe.ttl }),
    submitHomeRoot: join(config.dataDir, 'submit-home'),
    results: { store: new ResultStore({ redis, keyPrefix: bullPrefix(config.redis.prefix) }), maxAgeMs: config.dedupe.ttl },
  });
}

export function createCleanupProcessor(deps: { config: Config; redis: Redis; logger: Logger }) {
  return async function processCleanup(): Promise<CleanupResult> {
    const result = await runCleanupForConfig({ config: deps.config, redis: deps.redis });
    deps.logger.info(
      {
        queue: 'cleanup',
        removedBatches: result.removedBatches.length,
        removedUpdateLists: result.removedUpdateLists.length,
        expiredDedupe: result.expiredDedupe,
      },
      'cleanup done',
    );
    return result;
  };
}
