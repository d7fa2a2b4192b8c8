// Closes the loop on a `missing-dependency` failure: build what the failed build was missing (through
// the filters, once per project and target within `dedupe.ttl`), park the failed build, and submit
// it again once the dependency's build succeeds, a bounded number of times and never in a cycle.

import type { Queue } from 'bullmq';
import type { DecisionLog, DecisionRecord } from '../decisions/decision-log.js';
import type { Logger } from '../logging/logger.js';
import type { ReleaseFilter } from '../release/release-filter.js';
import { SUBMIT_JOB_NAME, submitJobId, type SubmitJobData } from '../submit/submit-job.js';
import type { BuildOutcome } from './build-outcome.js';
import { mapModuleToProject } from './dependency-map.js';
import type { DependencyDecision } from './dependency-story.js';
import { buildKey, type DependencyBuild, type DependencyStore, type ParkedBuild } from './dependency-store.js';
import type { ResultJobData } from './result-job.js';

export interface DependencyLoopOptions {
  readonly store: DependencyStore;
  readonly decisions: DecisionLog;
  readonly submitQueue: Queue;
  /** The poll's filters: a dependency they deny is not built. */
  readonly filter: ReleaseFilter;
  /** `results.maxDependencyRounds`: resubmits of one build after a dependency was built. */
  readonly maxRounds: number;
  /** `results.moduleAliases`. @defaultValue none */
  readonly aliases?: Readonly<Record<string, string>>;
  /** `filters.allowFile`'s names, as a hint for the mapping. @defaultValue no hint */
  readonly allowNames?: ReadonlySet<string>;
  /** @defaultValue Date.now */
  readonly now?: () => number;
}

/** How far the cycle check follows "who waits for whom". */
const MAX_CHAIN = 8;

type BuildData = Pick<ResultJobData, 'name' | 'normalized' | 'version' | 'target' | 'batchId'>;

export class DependencyLoop {
  readonly #o: DependencyLoopOptions;
  readonly #now: () => number;

  constructor(options: DependencyLoopOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /** Called with every final outcome: a missing-dependency failure starts the loop, any outcome may end one. */
  async onOutcome(data: BuildData, outcome: BuildOutcome, missingModules: readonly string[], log: Logger): Promise<void> {
    const parked = outcome.kind === 'missing-dependency' ? await this.#buildMissing(data, missingModules, log) : false;
    await this.#settleDependents(data, outcome, parked, log);
  }

  /** Queues the dependencies of a failed build and parks it; true when it now waits for one. */
  async #buildMissing(data: BuildData, modules: readonly string[], log: Logger): Promise<boolean> {
    const o = this.#o;
    const now = this.#now();
    const self = buildKey(data.normalized, data.version, data.target);
    const records: DecisionRecord[] = [];
    const tell = (decision: Omit<DependencyDecision, 'kind'>, subject = data.normalized, version = data.version): void => {
      records.push({ subject, ...(version === undefined ? {} : { version }), decision: { kind: 'dependency', ...decision } });
    };
    let parked = false;
    const wanted: string[] = [];
    if (modules.length === 0) tell({ step: 'unmapped', module: '(no valid module name in build.log)', detail: 'no-valid-name' });
    const rounds = await o.store.rounds(self);
    for (const module of modules) {
      const mapped = mapModuleToProject(module, {
        self: data.normalized,
        ...(o.aliases ? { aliases: o.aliases } : {}),
        ...(o.allowNames ? { allowNames: o.allowNames } : {}),
      });
      if (!mapped.ok) {
        if (mapped.reason !== 'own-module') wanted.push(`module:${module}`);
        tell({ step: 'unmapped', module, detail: mapped.reason });
        continue;
      }
      const project = mapped.normalized;
      wanted.push(project);
      if (rounds >= o.maxRounds) {
        tell({ step: 'round-limit', module, project, detail: String(o.maxRounds) });
        continue;
      }
      const verdict = o.filter.check({ normalized: project, isPrerelease: false });
      if (!verdict.ok) {
        tell({ step: 'denied', module, project, detail: verdict.rule });
        continue;
      }
      const chain = await this.#waitsFor(data.normalized, project, now);
      if (chain) {
        tell({ step: 'cycle', module, project, detail: `${[data.normalized, ...chain].join(' → ')}` });
        continue;
      }
      const existing = await this.#currentBuild(project, data.target, now, log);
      if (existing?.status === 'success') {
        tell({
          step: 'built-already',
          module,
          project,
          jobId: existing.jobId,
          ...(existing.farmJobId ? { farmJobId: existing.farmJobId } : {}),
        });
        continue;
      }
      if (existing?.status === 'failure') {
        tell({ step: 'failed-already', module, project, jobId: existing.jobId, ...(existing.detail ? { detail: existing.detail } : {}) });
        continue;
      }
      let jobId: string;
      if (existing) {
        jobId = existing.jobId;
        tell({ step: 'in-flight', module, project, jobId });
      } else {
        // Deterministic per batch: a replayed result job adds nothing twice.
        jobId = `${submitJobId(project, undefined, data.target, data.batchId)}|dependency`;
        const submitData: SubmitJobData = { name: mapped.project, target: data.target, batchId: data.batchId, origin: 'enqueue' };
        await o.submitQueue.add(SUBMIT_JOB_NAME, submitData, { jobId });
        await o.store.setBuild(project, data.target, { jobId, at: now, status: 'queued' });
        tell({ step: 'building', module, project, jobId });
        tell({ step: 'needed-by', module, jobId, dependent: data.normalized }, project, undefined);
        log.info({ dependency: { module, project, jobId } }, 'missing dependency: queued its build');
      }
      const build: ParkedBuild = {
        name: data.name,
        normalized: data.normalized,
        ...(data.version === undefined ? {} : { version: data.version }),
        target: data.target,
        batchId: data.batchId,
        module,
        dependency: project,
        jobId,
        at: now,
      };
      await o.store.park(build);
      parked = true;
    }
    await o.decisions.record(records);
    await o.store.want(wanted);
    return parked;
  }

  /**
   * The dependency build within `dedupe.ttl`, if any. A queued one whose submit job failed for good
   * never gets a result: it ends here as a failure (telling what waited for it); one whose job is
   * gone is as good as none.
   */
  async #currentBuild(project: string, target: string, now: number, log: Logger): Promise<DependencyBuild | undefined> {
    const o = this.#o;
    const existing = await o.store.build(project, target, now);
    if (existing?.status !== 'queued') return existing;
    const state = await o.submitQueue.getJobState(existing.jobId);
    if (state === 'unknown') return undefined;
    if (state !== 'failed') return existing;
    const detail = 'submit failed for good';
    const failed: DependencyBuild = { ...existing, status: 'failure', detail };
    await o.store.setBuild(project, target, failed);
    const parked = (await o.store.parkedOn(project, now)).filter(({ build }) => build.target === target);
    await o.decisions.record(
      parked.map(({ build }) => ({
        subject: build.normalized,
        ...(build.version === undefined ? {} : { version: build.version }),
        decision: {
          kind: 'dependency',
          step: 'dependency-failed',
          module: build.module,
          project,
          jobId: existing.jobId,
          detail,
        },
      })),
    );
    await o.store.unpark(
      project,
      parked.map(({ field }) => field),
    );
    log.warn({ dependency: { project, jobId: existing.jobId } }, 'the dependency build was never submitted; not waiting for it');
    return failed;
  }

  /**
   * The chain by which `dependency` already waits for `dependent` (so building it for `dependent`
   * would never end), or undefined. Follows the parked records: X waits for Y when X is parked on Y.
   */
  async #waitsFor(dependent: string, dependency: string, now: number): Promise<string[] | undefined> {
    let frontier: Array<{ name: string; path: string[] }> = [{ name: dependent, path: [] }];
    const seen = new Set<string>([dependent]);
    for (let depth = 0; depth < MAX_CHAIN && frontier.length > 0; depth++) {
      const next: Array<{ name: string; path: string[] }> = [];
      for (const { name, path } of frontier) {
        for (const { build } of await this.#o.store.parkedOn(name, now)) {
          // `build.normalized` waits for `name`, which waits for … `dependent`.
          const waiting = [build.normalized, ...path];
          if (build.normalized === dependency) return [dependency, ...path, dependent];
          if (!seen.has(build.normalized)) {
            seen.add(build.normalized);
            next.push({ name: build.normalized, path: waiting });
          }
        }
      }
      frontier = next;
    }
    return undefined;
  }

  /** `data`'s build is final: what waited for it is resubmitted (success) or told it failed too. */
  async #settleDependents(data: BuildData, outcome: BuildOutcome, selfParked: boolean, log: Logger): Promise<void> {
    const o = this.#o;
    const now = this.#now();
    const success = outcome.status === 'success';
    const detail = `${outcome.status}${outcome.kind ? ` (${outcome.kind})` : ''}`;
    const existing = await o.store.build(data.normalized, data.target, now);
    if (existing?.status === 'queued') {
      await o.store.setBuild(data.normalized, data.target, {
        ...existing,
        status: success ? 'success' : 'failure',
        farmJobId: outcome.farmJobId,
        ...(success ? {} : { detail }),
      });
    }
    const parked = (await o.store.parkedOn(data.normalized, now)).filter(({ build }) => build.target === data.target);
    // Still missing something itself: what waits for it keeps waiting for its resubmit.
    if (parked.length === 0 || (!success && selfParked)) return;
    const records: DecisionRecord[] = [];
    const tell = (
      build: ParkedBuild,
      decision: Omit<DependencyDecision, 'kind' | 'module'>,
      subject = build.normalized,
      version = build.version,
    ): void => {
      records.push({
        subject,
        ...(version === undefined ? {} : { version }),
        decision: { kind: 'dependency', module: build.module, ...decision },
      });
    };
    for (const { build } of parked) {
      if (!success) {
        tell(build, { step: 'dependency-failed', project: data.normalized, jobId: build.jobId, detail });
        continue;
      }
      const self = buildKey(build.normalized, build.version, build.target);
      const round = await o.store.addRound(self);
      if (round > o.maxRounds) {
        tell(build, { step: 'round-limit', project: data.normalized, detail: String(o.maxRounds) });
        continue;
      }
      const jobId = `${submitJobId(build.normalized, build.version, build.target, build.batchId)}|dependency-${round}`;
      const submitData: SubmitJobData = {
        name: build.name,
        ...(build.version === undefined ? {} : { version: build.version }),
        target: build.target,
        batchId: build.batchId,
        origin: 'enqueue',
      };
      await o.submitQueue.add(SUBMIT_JOB_NAME, submitData, { jobId });
      tell(build, { step: 'resubmitted', project: data.normalized, jobId, farmJobId: outcome.farmJobId, detail: String(round) });
      tell(build, { step: 'unblocked', jobId, dependent: build.normalized }, data.normalized, data.version);
      log.info(
        { dependent: { name: build.name, version: build.version, jobId, round } },
        'dependency built: resubmitted what waited for it',
      );
    }
    await o.store.unpark(
      data.normalized,
      parked.map(({ field }) => field),
    );
    await o.decisions.record(records);
  }
}
