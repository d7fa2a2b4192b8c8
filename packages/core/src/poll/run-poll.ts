// One poll: fetch → validate → filter → dedupe → update list → enqueue → mark seen → advance cursor.
// The order is the "nothing lost" guarantee: a crash at any step replays safely on the next poll.

import type { Queue } from 'bullmq';
import { BatchLog, batchIdFor } from '../batch/batch-log.js';
import { writeUpdateList } from '../batch/update-list.js';
import { invalidSubject, type DecisionLog, type DecisionRecord } from '../decisions/decision-log.js';
import { releaseKey, type DedupeStore } from '../dedupe/dedupe-store.js';
import { enqueueSubmits, type ReleaseToSubmit } from '../enqueue/enqueue-submits.js';
import type { Logger } from '../logging/logger.js';
import type { MetricsStore } from '../metrics/metrics-store.js';
import { printable } from '../release/package-list.js';
import { checkProjectName } from '../release/project-name.js';
import type { ReleaseFilter } from '../release/release-filter.js';
import { checkVersion } from '../release/version.js';
import type { ReleaseEvent, ReleaseSource } from '../sources/release-source.js';
import { removeWithdrawnJobs, type Withdrawal } from './withdrawals.js';
import type { PollState } from './poll-state.js';

export interface PollDeps {
  readonly source: ReleaseSource<unknown>;
  readonly state: PollState;
  readonly dedupe: DedupeStore;
  readonly filter: ReleaseFilter;
  readonly submitQueue: Queue;
  readonly targets: ReadonlyArray<Readonly<Record<string, string>>>;
  readonly batchLog: BatchLog;
  readonly updateListDir: string;
  readonly logger: Logger;
  readonly metrics: MetricsStore;
  readonly decisions: DecisionLog;
  /** @defaultValue () => new Date() */
  readonly now?: () => Date;
}

export interface PollRequest {
  /** Start from this changelog serial instead of the stored cursor (backfill). */
  readonly sinceCursor?: unknown;
}

export interface PollResult {
  readonly source: 'changelog' | 'rss';
  readonly startedAt: string;
  readonly durationMs: number;
  /** `new release` events seen, before any check. */
  readonly found: number;
  /** Names or versions that are not valid, plus entries too broken to read. */
  readonly invalid: number;
  /** Dropped by `filters.*`. */
  readonly filtered: number;
  /** Seen earlier in this poll or in an earlier one (the dedupe set). */
  readonly duplicate: number;
  /** New releases queued, each as one job per target. */
  readonly queued: number;
  readonly queuedJobs: number;
  /** Withdrawal events (removed or yanked releases and projects), and submit jobs they removed. */
  readonly withdrawn: number;
  readonly withdrawnJobsRemoved: number;
  readonly cursorBefore: unknown;
  readonly cursorAfter: unknown;
  readonly pages: number;
  /** The fetch hit its page cap; see the source's warning. */
  readonly capped: boolean;
  /** How far the cursor trails PyPI's head: serials (changelog) or seconds (rss). */
  readonly lag: number;
  readonly batchId?: string;
  readonly updateList?: string;
}

/**
 * Fault injection for the crash tests: `PYPI_WATCH_KILL_AFTER_STEP=<step>` SIGKILLs this process
 * right after that step, exactly as an OOM kill or power cut would. Unset in normal operation.
 */
function checkpoint(step: 'fetched' | 'update-list' | 'enqueued' | 'marked-seen' | 'cursor-saved'): void {
  if (process.env.PYPI_WATCH_KILL_AFTER_STEP === step) process.kill(process.pid, 'SIGKILL');
}

export async function runPoll(deps: PollDeps, request: PollRequest = {}): Promise<PollResult> {
  const now = deps.now ?? (() => new Date());
  const started = now();
  const log = deps.logger.child({ queue: 'poll', source: deps.source.type });
  const cursorBefore = request.sinceCursor ?? (await deps.state.readCursor(deps.source.type));
  const fetched = await deps.source.fetchSince(cursorBefore);
  checkpoint('fetched');

  let invalid = fetched.rejected.length;
  for (const entry of fetched.rejected) log.warn({ entry: { raw: entry.raw }, reason: entry.reason }, 'skipped unreadable feed entry');
  let filtered = 0;
  let duplicate = 0;
  let found = 0;
  const candidates = new Map<string, ReleaseToSubmit & { version: string }>();
  const withdrawals: Withdrawal[] = [];
  const decisions: DecisionRecord[] = [];
  // For a `remove project` event: its candidates without scanning them all (withdrawals are many).
  const keysByProject = new Map<string, string[]>();

  for (const event of fetched.events) {
    const name = checkProjectName(event.name);
    if (!name.ok) {
      if (event.action === 'new') found++;
      invalid++;
      log.warn({ entry: rawEntry(event), reason: name.reason }, 'skipped invalid project name');
      decisions.push({ subject: invalidSubject(String(event.name)), decision: { kind: 'invalid', reason: name.reason } });
      continue;
    }
    if (event.action === 'withdrawn') {
      const version = event.version === '' ? undefined : event.version;
      withdrawals.push({ normalized: name.normalized, name: name.name, ...(version === undefined ? {} : { version }) });
      decisions.push({
        subject: name.normalized,
        ...(version === undefined ? {} : { version }),
        decision: { kind: 'withdrawn', detail: version === undefined ? 'project removed' : 'release removed or yanked' },
      });
      // Published and withdrawn within one poll: never queue it.
      if (version !== undefined) {
        candidates.delete(releaseKey(name.normalized, version));
      } else {
        for (const key of keysByProject.get(name.normalized) ?? []) candidates.delete(key);
      }
      continue;
    }
    found++;
    const version = checkVersion(event.version);
    if (!version.ok) {
      invalid++;
      log.warn({ entry: rawEntry(event), reason: version.reason }, 'skipped invalid version');
      decisions.push({ subject: name.normalized, version: event.version.slice(0, 100), decision: { kind: 'invalid', reason: version.reason } });
      continue;
    }
    const verdict = deps.filter.check({ normalized: name.normalized, isPrerelease: version.isPrerelease });
    if (!verdict.ok) {
      filtered++;
      log.debug({ release: { name: name.name, version: version.version }, rule: verdict.rule }, 'filtered');
      decisions.push({ subject: name.normalized, version: version.version, decision: { kind: 'filtered', rule: verdict.rule } });
      continue;
    }
    const key = releaseKey(name.normalized, version.version);
    if (candidates.has(key)) {
      duplicate++;
      decisions.push({ subject: name.normalized, version: version.version, decision: { kind: 'duplicate', detail: 'listed twice in one poll' } });
      continue;
    }
    candidates.set(key, { name: name.name, normalized: name.normalized, version: version.version });
    const projectKeys = keysByProject.get(name.normalized);
    if (projectKeys) projectKeys.push(key);
    else keysByProject.set(name.normalized, [key]);
  }

  const unseen = candidates.size === 0 ? new Set<string>() : await deps.dedupe.filterUnseen([...candidates.keys()]);
  duplicate += candidates.size - unseen.size;
  const fresh = [...candidates].filter(([key]) => unseen.has(key)).map(([, release]) => release);
  for (const [key, release] of candidates) {
    if (!unseen.has(key)) {
      decisions.push({ subject: release.normalized, version: release.version, decision: { kind: 'duplicate', detail: 'already seen within dedupe.ttl' } });
    }
  }

  let batchId: string | undefined;
  let updateList: string | undefined;
  let queuedJobs = 0;
  if (fresh.length > 0) {
    batchId = batchIdFor(started);
    updateList = await writeUpdateList(deps.updateListDir, fresh.map((release) => release.name), started);
    checkpoint('update-list');
    await deps.batchLog.create(batchId);
    const enqueued = await enqueueSubmits({ queue: deps.submitQueue, releases: fresh, targets: deps.targets, batchId, origin: 'poll' });
    queuedJobs = enqueued.jobs;
    checkpoint('enqueued');
    for (const release of fresh) {
      decisions.push({
        subject: release.normalized,
        version: release.version,
        decision: { kind: 'queued', origin: 'poll', batchId, jobs: deps.targets.length },
      });
    }
    await deps.dedupe.markSeen(fresh.map((release) => releaseKey(release.normalized, release.version)));
    checkpoint('marked-seen');
  }

  const withdrawnJobsRemoved = withdrawals.length === 0 ? 0 : await removeWithdrawnJobs(deps.submitQueue, deps.targets, withdrawals, log);
  // Before the cursor moves: a crash here replays the poll, and the story gets the entries again.
  await deps.decisions.record(decisions);
  await deps.state.writeCursor(deps.source.type, fetched.cursor);
  checkpoint('cursor-saved');

  const result: PollResult = {
    source: deps.source.type,
    startedAt: started.toISOString(),
    durationMs: now().getTime() - started.getTime(),
    found,
    invalid,
    filtered,
    duplicate,
    queued: fresh.length,
    queuedJobs,
    withdrawn: withdrawals.length,
    withdrawnJobsRemoved,
    cursorBefore: cursorBefore ?? null,
    cursorAfter: fetched.cursor,
    pages: fetched.pages,
    capped: fetched.capped,
    lag: fetched.headCursorLag,
    ...(batchId === undefined ? {} : { batchId }),
    ...(updateList === undefined ? {} : { updateList }),
  };
  await deps.state.writeLastPoll(result);
  await deps.metrics.recordPoll({ found, invalid, filtered, duplicate, queued: fresh.length }, started);
  log.info({ result }, 'poll done');
  return result;
}

/** Untrusted feed data, bounded and nested under a key we own. */
function rawEntry(event: ReleaseEvent): { name: string; version: string } {
  return { name: printable(String(event.name)), version: printable(String(event.version)) };
}
