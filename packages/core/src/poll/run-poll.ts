// One poll: fetch → read events → withdrawals → gate (sdist, cool-down) → dedupe → queue (latest
// wins) → mark seen → gate bookkeeping → cursor. The order is the "nothing lost" guarantee: a crash
// at any step replays safely on the next poll, since every write before the cursor is idempotent.

import type { Queue } from 'bullmq';
import type { BatchLog } from '../batch/batch-log.js';
import type { PendingLatest } from '../coalesce/pending-latest.js';
import type { BuiltThenWithdrawn } from '../decisions/built-then-withdrawn.js';
import type { DecisionLog, DecisionRecord } from '../decisions/decision-log.js';
import type { DedupeStore } from '../dedupe/dedupe-store.js';
import type { GateEntry, GateStore } from '../gate/gate-store.js';
import type { GateCandidate, GateVerdict, SdistGate } from '../gate/sdist-gate.js';
import type { Logger } from '../logging/logger.js';
import type { MetricsStore } from '../metrics/metrics-store.js';
import type { OnProgress } from '../progress/work-progress.js';
import type { ReleaseFilter } from '../release/release-filter.js';
import type { ReleaseSource, SourceType } from '../sources/release-source.js';
import type { SubmitTargets } from '../submit/submit-targets.js';
import { readPollEvents, type PollRelease } from './poll-events.js';
import type { PollState } from './poll-state.js';
import { queueBatch } from '../enqueue/queue-batch.js';
import { applyUpstreamChanges } from './withdrawals.js';

/** Steps after which the crash tests kill the process (see `PollDeps.checkpoint`). */
export type PollStep = 'fetched' | 'update-list' | 'enqueued' | 'marked-seen' | 'cursor-saved';

export interface PollDeps {
  readonly source: ReleaseSource<unknown>;
  readonly state: PollState;
  readonly dedupe: DedupeStore;
  readonly filter: ReleaseFilter;
  readonly submitQueue: Queue;
  readonly targets: SubmitTargets;
  readonly gate: SdistGate;
  readonly gateStore: GateStore;
  /** Set when `submit.coalesce` is on. */
  readonly pending?: PendingLatest;
  /** Used for withdrawals even when coalescing is off (jobs queued while it was on). */
  readonly pendingForWithdrawals: PendingLatest;
  readonly builtThenWithdrawn: BuiltThenWithdrawn;
  /** `filters.sdistWait` (ms): how long a withdrawn release stays restorable. */
  readonly restorableMs: number;
  readonly batchLog: BatchLog;
  readonly updateListDir: string;
  readonly logger: Logger;
  readonly metrics: MetricsStore;
  readonly decisions: DecisionLog;
  /** Stored entries looked at per state and poll (re-checks, cool-downs ending, give-ups). @defaultValue 1000 */
  readonly dueLimit?: number;
  /** @defaultValue () => new Date() */
  readonly now?: () => Date;
  /** Called right after each step; the crash tests kill the process there. @defaultValue none */
  readonly checkpoint?: (step: PollStep) => void;
}

export interface PollRequest {
  /** Start from this changelog serial instead of the stored cursor (backfill). */
  readonly sinceCursor?: unknown;
  /** Changelog serials paged through, then submit jobs added (a CLI's progress bar). @defaultValue none */
  readonly onProgress?: OnProgress | undefined;
}

export interface PollResult {
  readonly source: SourceType;
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
  /** Releases that became buildable and were queued (own job, or joined a waiting one). */
  readonly queued: number;
  readonly queuedJobs: number;
  /** Of `queued`: joined a not-yet-started job of the same project (latest wins). */
  readonly joined: number;
  /** Older versions not built on their own because a newer one was queued with them. */
  readonly superseded: number;
  /** Now waiting for an sdist, or held by `filters.minAge`. */
  readonly waiting: number;
  readonly held: number;
  /** Given up: still no sdist after `filters.sdistWait`. */
  readonly noSdist: number;
  /** Withdrawal events (yank, removal, quarantine), and submit jobs they removed. */
  readonly withdrawn: number;
  readonly withdrawnJobsRemoved: number;
  /** Restoration events (unyank, quarantine cleared). */
  readonly restored: number;
  /** Withdrawals of releases already submitted (see `report`). */
  readonly builtThenWithdrawn: number;
  readonly cursorBefore: unknown;
  readonly cursorAfter: unknown;
  readonly pages: number;
  /** The fetch hit its page cap; see the source's warning. */
  readonly capped: boolean;
  /** RSS: the last-seen release fell off the feed's window; releases may have been missed. */
  readonly gap: boolean;
  /** How far the cursor trails PyPI's head: serials (changelog) or seconds (rss). */
  readonly lag: number;
  readonly batchId?: string;
  readonly updateList?: string;
}

export async function runPoll(deps: PollDeps, request: PollRequest = {}): Promise<PollResult> {
  const now = deps.now ?? (() => new Date());
  const started = now();
  const log = deps.logger.child({ queue: 'poll', source: deps.source.type });
  const cursorBefore = request.sinceCursor ?? (await deps.state.readCursor(deps.source.type));
  const fetched = await deps.source.fetchSince(cursorBefore, { onProgress: request.onProgress });
  deps.checkpoint?.('fetched');
  for (const entry of fetched.rejected) log.warn({ entry: { raw: entry.raw }, reason: entry.reason }, 'skipped unreadable feed entry');
  if (fetched.gap) {
    log.warn(
      { cursorBefore },
      'RSS gap: the last-seen release is no longer in the feed, releases in between were missed; use source.type: changelog',
    );
  }

  deps.gate.beginPoll();
  const events = readPollEvents(fetched.events, deps.filter, log);
  const decisions: DecisionRecord[] = [...events.decisions];
  const changes = await applyUpstreamChanges(
    {
      submitQueue: deps.submitQueue,
      targets: deps.targets,
      pending: deps.pendingForWithdrawals,
      gate: deps.gateStore,
      decisions: deps.decisions,
      restorableMs: deps.restorableMs,
      log,
      now: () => now().getTime(),
    },
    events.changes,
    events.releases,
  );
  appendAll(decisions, changes.decisions);

  // Releases of this poll: withdrawn ones are remembered (restorable); seen ones are duplicates.
  const inPoll = [...events.releases.values()];
  const live = inPoll.filter((release) => release.withdrawn === undefined);
  const unseen = live.length === 0 ? new Set<string>() : await deps.dedupe.filterUnseen(live.map((release) => release.key));
  let duplicate = 0;
  for (const release of live) {
    if (unseen.has(release.key)) continue;
    // A release's file events after it was queued are expected; only a repeated `new release` is news.
    if (release.sawNew) {
      duplicate++;
      decisions.push({
        subject: release.normalized,
        version: release.version,
        decision: { kind: 'duplicate', detail: 'already seen within dedupe.ttl' },
      });
    }
  }
  const fresh = live.filter((release) => unseen.has(release.key));
  // A release whose `new release` came in an earlier poll may be at the gate: its sdist arrives now.
  const stored = await deps.gateStore.getMany(fresh.filter((release) => !release.sawNew).map((release) => release.key));
  const candidates: GateCandidate[] = [];
  for (const release of fresh) {
    const entry = stored.get(release.key);
    if (entry?.state === 'withdrawn') continue; // a file added to a yanked release: it stays withdrawn
    // Nothing new for it (with the gate off, a waiting release goes on to be queued).
    if (entry?.state === 'held' || (entry && !release.sawSdist && deps.gate.requiresSdist)) continue;
    candidates.push(candidateOf(release, entry, deps.source.reportsFiles));
  }
  for (const { key, entry } of changes.restored) candidates.push({ ...entry, key, lookup: !entry.hasSdist, serial: entry.serial });

  const verdicts = await deps.gate.decide(candidates);
  // Entries whose time came (re-checks, cool-downs ending, give-ups), except those decided just now.
  const dueEntries = await deps.gateStore.due(now().getTime(), deps.dueLimit ?? 1000, { allWaiting: !deps.gate.requiresSdist });
  // A set of this poll's keys only when something is due (usually nothing is; a poll can hold 100,000).
  const decidedNow = dueEntries.size === 0 ? new Set<string>() : new Set(candidates.map((candidate) => candidate.key));
  const due = [...dueEntries].filter(([key]) => !decidedNow.has(key));
  const dueWithdrawnExpired = due.filter(([, entry]) => entry.state === 'withdrawn').map(([key]) => key);
  const dueLive = due.filter(([, entry]) => entry.state !== 'withdrawn');
  const dueUnseen = dueLive.length === 0 ? new Set<string>() : await deps.dedupe.filterUnseen(dueLive.map(([key]) => key));
  const dueKeys = new Set<string>();
  const dueChecks: Array<Promise<GateVerdict>> = [];
  for (const [key, entry] of dueLive) {
    // Queued already (a crash between queueing and the gate's bookkeeping): nothing left to decide.
    if (!dueUnseen.has(key)) dueWithdrawnExpired.push(key);
    else {
      dueKeys.add(key);
      dueChecks.push(deps.gate.decideDue(entry, key));
    }
  }
  // Re-checks run side by side, as the JSON client's concurrency allows.
  appendAll(verdicts, await Promise.all(dueChecks));

  const buildable: GateCandidate[] = [];
  const toStore: Array<{ key: string; entry: GateEntry; dueAt: number }> = [];
  const noSdist: string[] = [];
  let waiting = 0;
  let held = 0;
  for (const verdict of verdicts) {
    const { candidate } = verdict;
    const subject = { subject: candidate.normalized, version: candidate.version };
    if (verdict.kind === 'buildable') buildable.push(candidate);
    else if (verdict.kind === 'no-sdist') {
      noSdist.push(candidate.key);
      decisions.push({ ...subject, decision: { kind: 'no-sdist', since: candidate.since } });
    } else {
      toStore.push({ key: candidate.key, entry: verdict.entry, dueAt: verdict.dueAt });
      // A re-check that finds it still waiting (or still held) is no news for its story.
      if (dueKeys.has(candidate.key) && verdict.entry.state !== 'withdrawn') continue;
      if (verdict.entry.state === 'waiting') {
        waiting++;
        decisions.push({
          ...subject,
          decision: { kind: 'waiting', since: candidate.since, ...(verdict.note ? { detail: verdict.note } : {}) },
        });
      } else if (verdict.entry.state === 'held') {
        held++;
        decisions.push({ ...subject, decision: { kind: 'held', until: verdict.dueAt } });
      } else {
        decisions.push({ ...subject, decision: { kind: 'withdrawn', reason: 'yanked', detail: verdict.note ?? 'withdrawn on PyPI' } });
      }
    }
  }
  // Withdrawn releases of this poll stay restorable (an unyank in a later poll makes them eligible).
  for (const release of inPoll) {
    if (release.withdrawn === undefined || !release.sawNew) continue;
    const entry: GateEntry = {
      state: 'withdrawn',
      reason: release.withdrawn,
      name: release.name,
      normalized: release.normalized,
      version: release.version,
      isPrerelease: release.isPrerelease,
      since: release.firstAt,
      hasSdist: release.sawSdist,
      ...(release.serial === undefined ? {} : { serial: release.serial }),
      checks: 0,
    };
    toStore.push({ key: release.key, entry, dueAt: now().getTime() + deps.restorableMs });
  }
  if (toStore.length > 0) await deps.gateStore.put(toStore);

  const queued = await queueBatch(
    {
      submitQueue: deps.submitQueue,
      targets: deps.targets,
      batchLog: deps.batchLog,
      origin: 'poll',
      started,
      ...(deps.pending ? { pending: deps.pending } : {}),
      updateListDir: deps.updateListDir,
      checkpoint: (step) => deps.checkpoint?.(step),
      onProgress: request.onProgress,
    },
    // Release→submit latency counts from the sdist's event when the gate waits for one, else from the release.
    // Only what a job needs: a copy of every candidate with all its fields cost 100,000 spreads a big poll.
    buildable.map((c) => ({
      name: c.name,
      normalized: c.normalized,
      version: c.version,
      releasedAt: (deps.gate.requiresSdist && events.releases.get(c.key)?.sdistAt) || c.since,
    })),
  );
  appendAll(decisions, queued.decisions);
  const decided = [...buildable.map((release) => release.key), ...noSdist];
  if (decided.length > 0) await deps.dedupe.markSeen(decided);
  deps.checkpoint?.('marked-seen');
  const leaveGate = [...decided, ...dueWithdrawnExpired];
  if (leaveGate.length > 0) await deps.gateStore.remove(leaveGate);

  // Before the cursor moves: a crash here replays the poll, and the story gets the entries again.
  await deps.decisions.record(decisions);
  await deps.builtThenWithdrawn.record(changes.builtThenWithdrawn);
  await deps.state.writeCursor(deps.source.type, fetched.cursor);
  deps.checkpoint?.('cursor-saved');

  const result: PollResult = {
    source: deps.source.type,
    startedAt: started.toISOString(),
    durationMs: now().getTime() - started.getTime(),
    found: events.found,
    invalid: events.invalid + fetched.rejected.length,
    filtered: events.filtered,
    duplicate,
    queued: queued.queued,
    queuedJobs: queued.queuedJobs,
    joined: queued.joined,
    superseded: queued.superseded,
    waiting,
    held,
    noSdist: noSdist.length,
    withdrawn: changes.withdrawn,
    withdrawnJobsRemoved: changes.jobsRemoved,
    restored: changes.restoredCount,
    builtThenWithdrawn: changes.builtThenWithdrawn.length,
    cursorBefore: cursorBefore ?? null,
    cursorAfter: fetched.cursor,
    pages: fetched.pages,
    capped: fetched.capped,
    gap: fetched.gap,
    lag: fetched.headCursorLag,
    ...(queued.batchId === undefined ? {} : { batchId: queued.batchId }),
    ...(queued.updateList === undefined ? {} : { updateList: queued.updateList }),
  };
  await deps.state.writeLastPoll(result);
  const afterSubmit = { yanked: 0, removed: 0, quarantined: 0 };
  for (const entry of changes.builtThenWithdrawn) afterSubmit[entry.reason]++;
  await deps.metrics.recordPoll(
    {
      found: result.found,
      invalid: result.invalid,
      filtered: result.filtered,
      duplicate,
      queued: result.queued,
      waiting,
      superseded: result.superseded,
      'no-sdist': result.noSdist,
      gap: result.gap,
      builtThenWithdrawn: afterSubmit,
    },
    started,
  );
  log.info({ result }, 'poll done');
  return result;
}

/**
 * `target.push(...items)` without the spread: every item becomes a call argument there, and past
 * ~120,000 of them (a poll's decisions after a long outage) V8 throws "Maximum call stack size
 * exceeded", after the jobs were queued and before the cursor moved, so every poll after failed too.
 */
function appendAll<T>(target: T[], items: readonly T[]): void {
  for (const item of items) target.push(item);
}

/** What the gate is asked about a release of this poll (with its stored entry, if it had one). */
function candidateOf(release: PollRelease, entry: GateEntry | undefined, reportsFiles: boolean): GateCandidate {
  // RSS items carry no file events; a changelog release whose `new release` came before our cursor
  // (a backfill that starts mid-release) cannot be judged from the files we saw either.
  const lookup = !release.sawSdist && (!reportsFiles || (!release.sawNew && entry === undefined));
  return {
    key: release.key,
    name: release.name,
    normalized: release.normalized,
    version: release.version,
    isPrerelease: release.isPrerelease,
    since: entry?.since ?? release.firstAt,
    serial: release.serial ?? entry?.serial,
    hasSdist: release.sawSdist || (entry?.hasSdist ?? false),
    lookup,
    checks: entry?.checks ?? 0,
  };
}
