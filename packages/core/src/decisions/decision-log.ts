// What pypi-watch decided about each release it saw, and why: the answer to "why was X not built?".
// One short Redis list per project (newest 100 entries), expiring with the dedupe TTL.

import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis/redis-keys.js';
import { describeDependencyDecision, type DependencyDecision } from '../results/dependency-story.js';

export type Decision =
  | { readonly kind: 'invalid'; readonly reason: string }
  | { readonly kind: 'filtered'; readonly rule: string }
  | { readonly kind: 'duplicate'; readonly detail: string }
  | {
      readonly kind: 'queued';
      readonly origin: 'poll' | 'enqueue';
      readonly batchId: string;
      readonly jobs: number;
      /** Latest wins: the not-yet-started submit jobs this release joined instead of getting its own. */
      readonly joined?: readonly string[];
    }
  | { readonly kind: 'waiting'; readonly since: number; readonly detail?: string }
  | { readonly kind: 'held'; readonly until: number }
  | { readonly kind: 'no-sdist'; readonly since: number }
  | { readonly kind: 'superseded'; readonly by: string }
  | { readonly kind: 'withdrawn'; readonly detail: string; readonly reason?: string; readonly afterSubmit?: boolean }
  | { readonly kind: 'restored'; readonly reason: string; readonly detail: string }
  | { readonly kind: 'submitted'; readonly target: string; readonly farmJobId: string; readonly resultRoot?: string }
  | { readonly kind: 'submit-failed'; readonly target: string; readonly reason: string; readonly final: boolean }
  | { readonly kind: 'result'; readonly target: string; readonly status: string; readonly failureKind?: string }
  | { readonly kind: 'resubmitted'; readonly target: string; readonly reason: string; readonly resubmit: number }
  | DependencyDecision;

export interface DecisionEntry {
  readonly at: number;
  /** Absent for decisions about a whole project or an unversioned request. */
  readonly version?: string;
  readonly decision: Decision;
}

export interface DecisionRecord {
  /** The normalized project name, or for an invalid name the raw text (see `invalidSubject`). */
  readonly subject: string;
  readonly version?: string;
  readonly decision: Decision;
}

const KEEP_PER_PROJECT = 100;
const PIPELINE_CHUNK = 2000;

/** Where decisions about an invalid raw name are kept: it has no normalized form. */
export function invalidSubject(raw: string): string {
  return `invalid:${raw.slice(0, 200).toLowerCase()}`;
}

export class DecisionLog {
  readonly #redis: Redis;
  readonly #key: RedisKeys['why'];
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor({ redis, keys, ttlMs, now }: { redis: Redis; keys: Pick<RedisKeys, 'why'>; ttlMs: number; now?: () => number }) {
    this.#redis = redis;
    this.#key = keys.why;
    this.#ttlMs = ttlMs;
    this.#now = now ?? Date.now;
  }

  async record(records: readonly DecisionRecord[]): Promise<void> {
    const at = this.#now();
    const sends: Array<Promise<unknown>> = [];
    // Chunks go out together: each pipeline is sent as one write, and Redis answers them in order.
    for (let start = 0; start < records.length; start += PIPELINE_CHUNK) {
      const pipeline = this.#redis.pipeline();
      for (const { subject, version, decision } of records.slice(start, start + PIPELINE_CHUNK)) {
        const key = this.#key(subject);
        const entry: DecisionEntry = { at, ...(version === undefined ? {} : { version }), decision };
        pipeline.rpush(key, JSON.stringify(entry));
        pipeline.ltrim(key, -KEEP_PER_PROJECT, -1);
        pipeline.pexpire(key, this.#ttlMs);
      }
      sends.push(pipeline.exec());
    }
    await Promise.all(sends);
  }

  /** The story of a project (oldest first), or of one of its versions (plus project-wide entries). */
  async story(subject: string, version?: string): Promise<DecisionEntry[]> {
    const entries = (await this.#redis.lrange(this.#key(subject), 0, -1)).map((raw) => JSON.parse(raw) as DecisionEntry);
    return version === undefined ? entries : entries.filter((entry) => entry.version === undefined || entry.version === version);
  }
}

/** One line of `pypi-watch why`. */
export function describeDecision(entry: DecisionEntry): string {
  const d = entry.decision;
  const version = entry.version === undefined ? '' : ` ${entry.version}`;
  const when = new Date(entry.at).toISOString();
  const what = ((): string => {
    switch (d.kind) {
      case 'invalid':
        return `skipped as invalid: ${d.reason}`;
      case 'filtered':
        return `not built: filtered by ${d.rule}`;
      case 'duplicate':
        return `not queued again: ${d.detail}`;
      case 'queued':
        return d.joined && d.joined.length > 0
          ? `queued by ${d.origin}: joined the waiting submit job(s) ${d.joined.join(', ')} (latest wins: the farm builds the newest)`
          : `queued by ${d.origin} as ${d.jobs} submit job(s) in ${d.batchId}`;
      case 'waiting':
        return `waiting for sdist since ${new Date(d.since).toISOString()}${d.detail ? ` (${d.detail})` : ''}`;
      case 'held':
        return `held by filters.minAge until ${new Date(d.until).toISOString()}`;
      case 'no-sdist':
        return `not built: no sdist on PyPI since ${new Date(d.since).toISOString()} (filters.sdistWait ran out)`;
      case 'superseded':
        return `not built on its own: superseded by ${d.by} (the farm builds the newest)`;
      case 'withdrawn':
        return d.afterSubmit
          ? `built, then ${d.reason ?? 'withdrawn'} upstream: ${d.detail} (the RPM may need pulling)`
          : `withdrawn on PyPI: ${d.detail}`;
      case 'restored':
        return `restored on PyPI (${d.reason}): ${d.detail}`;
      case 'submitted':
        return `submitted for ${d.target}: farm job ${d.farmJobId}${d.resultRoot ? `, result_root ${d.resultRoot}` : ''}`;
      case 'submit-failed':
        return `submit for ${d.target} failed${d.final ? ' for good' : ' (will retry)'}: ${d.reason}`;
      case 'result':
        return `build for ${d.target}: ${d.status}${d.failureKind ? ` (${d.failureKind})` : ''}`;
      case 'resubmitted':
        return `resubmitted for ${d.target} (#${d.resubmit}): ${d.reason}`;
      case 'dependency':
        return describeDependencyDecision(d);
    }
  })();
  return `${when}${version}: ${what}`;
}
