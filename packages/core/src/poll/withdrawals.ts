// Withdrawals (yank, removal, quarantine) and restorations (unyank, quarantine cleared), applied in
// PyPI's order: a withdrawn release loses its not-started submit jobs and its place at the gate, but
// is remembered, so a restoration makes it eligible again; one already submitted is reported.

import type { Queue } from 'bullmq';
import type { PendingLatest } from '../coalesce/pending-latest.js';
import type { BuiltThenWithdrawnEntry } from '../decisions/built-then-withdrawn.js';
import type { DecisionLog, DecisionRecord } from '../decisions/decision-log.js';
import { releaseKey } from '../dedupe/dedupe-store.js';
import type { GateEntry, GateStore } from '../gate/gate-store.js';
import type { Logger } from '../logging/logger.js';
import { submitJobId } from '../submit/submit-job.js';
import type { SubmitTargets } from '../submit/submit-targets.js';
import type { PollRelease, UpstreamChange } from './poll-events.js';

export interface UpstreamChangeDeps {
  readonly submitQueue: Queue;
  readonly targets: SubmitTargets;
  readonly pending: PendingLatest;
  readonly gate: GateStore;
  readonly decisions: DecisionLog;
  /** How long a withdrawn release stays restorable (ms): `filters.sdistWait`. */
  readonly restorableMs: number;
  readonly log: Logger;
  readonly now: () => number;
}

export interface UpstreamChangeOutcome {
  readonly withdrawn: number;
  readonly restoredCount: number;
  readonly jobsRemoved: number;
  /** Releases made eligible again: the poll runs them through the gate, past the dedupe set. */
  readonly restored: ReadonlyArray<{ readonly key: string; readonly entry: GateEntry }>;
  readonly builtThenWithdrawn: BuiltThenWithdrawnEntry[];
  readonly decisions: DecisionRecord[];
}

/** States in which a submit has not started: removing the job there means it never runs. */
const NOT_STARTED = ['waiting', 'delayed', 'prioritized'] as const;

export async function applyUpstreamChanges(
  deps: UpstreamChangeDeps,
  changes: readonly UpstreamChange[],
  inPoll: ReadonlyMap<string, PollRelease>,
): Promise<UpstreamChangeOutcome> {
  // One read of the not-started job ids for all project withdrawals of this poll (there can be hundreds).
  let notStarted: Promise<string[]> | undefined;
  const notStartedIds = (): Promise<string[]> => (notStarted ??= deps.submitQueue.getRanges([...NOT_STARTED], 0, -1));
  const out = {
    withdrawn: 0,
    restoredCount: 0,
    jobsRemoved: 0,
    restored: new Map<string, GateEntry>(),
    builtThenWithdrawn: [] as BuiltThenWithdrawnEntry[],
    decisions: [] as DecisionRecord[],
  };
  for (const change of changes) {
    if (change.kind === 'withdrawn') await withdraw(deps, change, out, notStartedIds);
    else await restore(deps, change, inPoll, out);
  }
  return { ...out, restored: [...out.restored].map(([key, entry]) => ({ key, entry })) };
}

type Outcome = {
  withdrawn: number;
  restoredCount: number;
  jobsRemoved: number;
  restored: Map<string, GateEntry>;
  builtThenWithdrawn: BuiltThenWithdrawnEntry[];
  decisions: DecisionRecord[];
};

async function withdraw(
  deps: UpstreamChangeDeps,
  change: UpstreamChange,
  out: Outcome,
  notStartedIds: () => Promise<string[]>,
): Promise<void> {
  out.withdrawn++;
  const now = deps.now();
  const remember = new Map<string, GateEntry>();
  const keep = (version: string, entry?: GateEntry): void => {
    const key = releaseKey(change.normalized, version);
    remember.set(key, {
      ...(entry ?? {
        name: change.name,
        normalized: change.normalized,
        version,
        isPrerelease: false,
        since: change.at,
        hasSdist: true,
        checks: 0,
      }),
      state: 'withdrawn',
      reason: change.reason,
    });
  };

  // Jobs not started: the pending "latest" job first (it may stand for other versions too), then the
  // job a release got under its own id (coalescing off, `enqueue`, or queued before coalescing).
  const handled = new Set<string>();
  let removedHere = 0;
  let activeHere = false;
  const removeJob = async (id: string): Promise<boolean> => {
    // A project withdrawal names no version: the job's data says which one, for a later restore.
    const job = change.version === undefined ? await deps.submitQueue.getJob(id) : undefined;
    const removed = await removeIfNotStarted(deps, id);
    if (removed === 'active') activeHere = true;
    if (removed !== 'removed') return false;
    removedHere++;
    const data = job?.data as { version?: unknown } | undefined;
    const version = change.version ?? (typeof data?.version === 'string' ? data.version : undefined);
    if (version !== undefined) keep(version);
    return true;
  };
  for (const target of deps.targets.all) {
    const left = await deps.pending.withdraw(change.normalized, target.id, change.version);
    if (!left) continue;
    handled.add(left.jobId);
    // Every version taken out of the waiting job is restorable, whether or not the job stays for others.
    for (const version of left.removed) keep(version);
    if (left.versionsLeft === 0) await removeJob(left.jobId);
  }
  const ids = new Set<string>();
  if (change.version !== undefined) {
    for (const target of deps.targets.all) ids.add(submitJobId(change.normalized, change.version, target.id, ''));
  } else {
    // A project withdrawal names no version: find its jobs among those not started (one read per poll).
    for (const id of await notStartedIds()) {
      if (id.slice(0, id.indexOf('|')) === change.normalized) ids.add(id);
    }
  }
  for (const id of ids) if (!handled.has(id)) await removeJob(id);
  out.jobsRemoved += removedHere;

  // Waiting or held at the gate: withdrawn now, restorable for a while.
  const atGate =
    change.version === undefined
      ? await deps.gate.forProject(change.normalized)
      : await deps.gate.getMany([releaseKey(change.normalized, change.version)]);
  for (const entry of atGate.values()) keep(entry.version, entry);
  if (remember.size > 0) {
    await deps.gate.put([...remember].map(([key, entry]) => ({ key, entry, dueAt: now + deps.restorableMs })));
    for (const key of remember.keys()) out.restored.delete(key);
  }

  // A job running right now (taken by a worker as the yank came) is built: report it like a submitted one.
  const afterSubmit = activeHere || (await wasSubmitted(deps.decisions, change.normalized, change.version));
  if (afterSubmit) {
    out.builtThenWithdrawn.push({
      at: now,
      normalized: change.normalized,
      ...(change.version === undefined ? {} : { version: change.version }),
      reason: change.reason,
    });
    deps.log.warn(
      { release: { name: change.name, version: change.version ?? '(all)' }, reason: change.reason },
      'a submitted release was withdrawn upstream',
    );
  }
  const what = change.version === undefined ? 'the whole project' : 'the release';
  out.decisions.push({
    subject: change.normalized,
    ...(change.version === undefined ? {} : { version: change.version }),
    decision: { kind: 'withdrawn', reason: change.reason, detail: `${what} was ${change.reason}`, afterSubmit },
  });
}

async function restore(
  deps: UpstreamChangeDeps,
  change: UpstreamChange,
  inPoll: ReadonlyMap<string, PollRelease>,
  out: Outcome,
): Promise<void> {
  out.restoredCount++;
  const atGate =
    change.version === undefined
      ? await deps.gate.forProject(change.normalized)
      : await deps.gate.getMany([releaseKey(change.normalized, change.version)]);
  let made = 0;
  for (const [key, entry] of atGate) {
    if (entry.state !== 'withdrawn' || inPoll.has(key)) continue;
    out.restored.set(key, entry);
    made++;
  }
  const detail =
    made > 0
      ? `eligible again (${made} release(s))`
      : (await wasSubmitted(deps.decisions, change.normalized, change.version))
        ? 'it was built before'
        : 'nothing pending';
  out.decisions.push({
    subject: change.normalized,
    ...(change.version === undefined ? {} : { version: change.version }),
    decision: { kind: 'restored', reason: change.reason === 'quarantined' ? 'quarantine cleared' : 'unyanked', detail },
  });
}

async function removeIfNotStarted(deps: UpstreamChangeDeps, id: string): Promise<'removed' | 'active' | 'absent'> {
  const state = await deps.submitQueue.getJobState(id);
  if (state === 'active') return 'active';
  if (!(NOT_STARTED as readonly string[]).includes(state)) return 'absent';
  // remove() refuses a job a worker has locked meanwhile: then it runs, which is the safe side.
  if ((await deps.submitQueue.remove(id)) !== 1) return 'active';
  deps.log.info({ jobId: id }, 'removed submit job of a withdrawn release');
  return 'removed';
}

async function wasSubmitted(decisions: DecisionLog, normalized: string, version: string | undefined): Promise<boolean> {
  const story = await decisions.story(normalized, version);
  return story.some((entry) => entry.decision.kind === 'submitted' && (version === undefined || entry.version === version));
}
