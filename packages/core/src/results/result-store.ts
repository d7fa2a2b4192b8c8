// Build outcomes in Redis: one sorted set by finish time, for `pypi-watch report` and the dashboard.

import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis/redis-keys.js';
import type { BuildOutcome, OutcomeStatus } from './build-outcome.js';
import { FAILURE_KINDS, type FailureKind } from './result-classifier.js';

export interface BuildReport {
  readonly since: number;
  readonly total: number;
  readonly byStatus: Record<OutcomeStatus, number>;
  readonly byFailureKind: Record<FailureKind, number>;
  /** successes / (successes + failures), 0 when there were none. */
  readonly successRate: number;
  /** Successes whose RPMs did not install. */
  readonly installFailures: number;
  readonly slowest: readonly BuildOutcome[];
  readonly failing: readonly BuildOutcome[];
}

const STATUSES: readonly OutcomeStatus[] = ['success', 'failure', 'gave-up', 'unmapped', 'unreadable'];

export class ResultStore {
  readonly #redis: Redis;
  readonly #key: string;

  constructor({ redis, keys }: { redis: Redis; keys: Pick<RedisKeys, 'results'> }) {
    this.#redis = redis;
    this.#key = keys.results;
  }

  async add(outcome: BuildOutcome): Promise<void> {
    await this.#redis.zadd(this.#key, outcome.finishedAt, JSON.stringify(outcome));
  }

  /** Outcomes finished at or after `sinceMs`; a member that is not one (not JSON, no known status) is left out. */
  async since(sinceMs: number): Promise<BuildOutcome[]> {
    const members = await this.#redis.zrangebyscore(this.#key, sinceMs, '+inf');
    return members.flatMap((member) => outcomeOf(member) ?? []);
  }

  /** Drops outcomes finished before `beforeMs`; returns how many. */
  async trim(beforeMs: number): Promise<number> {
    return this.#redis.zremrangebyscore(this.#key, '-inf', `(${beforeMs}`);
  }

  async report(sinceMs: number, { slowest = 10, failing = 50 } = {}): Promise<BuildReport> {
    const outcomes = await this.since(sinceMs);
    const byStatus = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<OutcomeStatus, number>;
    const byFailureKind = Object.fromEntries(FAILURE_KINDS.map((k) => [k, 0])) as Record<FailureKind, number>;
    let installFailures = 0;
    for (const outcome of outcomes) {
      byStatus[outcome.status]++;
      // A kind the classifier does not name (forged, or from an older version) counts as `other`.
      if (outcome.status === 'failure')
        byFailureKind[outcome.kind !== undefined && Object.hasOwn(byFailureKind, outcome.kind) ? outcome.kind : 'other']++;
      if (outcome.status === 'success' && outcome.installed === false) installFailures++;
    }
    const decided = byStatus.success + byStatus.failure;
    return {
      since: sinceMs,
      total: outcomes.length,
      byStatus,
      byFailureKind,
      successRate: decided === 0 ? 0 : byStatus.success / decided,
      installFailures,
      slowest: outcomes
        .filter((o) => o.buildDurationMs !== undefined)
        .sort((a, b) => (b.buildDurationMs ?? 0) - (a.buildDurationMs ?? 0))
        .slice(0, slowest),
      failing: outcomes
        .filter((o) => o.status === 'failure')
        .sort((a, b) => b.finishedAt - a.finishedAt)
        .slice(0, failing),
    };
  }
}

/** Redis content is hostile too: one forged member must not fail `report`, the dashboard's /report or the notifications' digest. */
function outcomeOf(member: string): BuildOutcome | undefined {
  try {
    const value: unknown = JSON.parse(member);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const status: unknown = (value as { status?: unknown }).status;
    return typeof status === 'string' && (STATUSES as readonly string[]).includes(status) ? (value as BuildOutcome) : undefined;
  } catch {
    return undefined;
  }
}
