// Counters and the submit-duration histogram, kept in Redis so every process adds to one set of
// numbers and the dashboard's /metrics reports the whole system, not just its own process.

import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis/redis-keys.js';

export const RELEASE_COUNTERS = ['found', 'invalid', 'filtered', 'duplicate', 'queued', 'waiting', 'superseded', 'no-sdist'] as const;
/** Why a release that was already submitted left PyPI (its RPM may need pulling). */
export const WITHDRAWAL_REASONS = ['yanked', 'removed', 'quarantined'] as const;
export const SUBMIT_COUNTERS = ['succeeded', 'failed', 'retried'] as const;
export const RESULT_COUNTERS = ['success', 'failure', 'gave-up', 'unmapped', 'unreadable'] as const;
export type ResultCounter = (typeof RESULT_COUNTERS)[number];
export type ReleaseCounter = (typeof RELEASE_COUNTERS)[number];
export type SubmitCounter = (typeof SUBMIT_COUNTERS)[number];

/** Upper bounds (seconds) of the submit duration buckets: `submit` takes ~1 s of Ruby start-up. */
export const SUBMIT_DURATION_BUCKETS = [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600] as const;

export interface MetricsSnapshot {
  readonly releases: Record<ReleaseCounter, number>;
  readonly submits: Record<SubmitCounter, number>;
  readonly submitDuration: {
    /** Cumulative counts per upper bound, as Prometheus histograms want them. */
    readonly buckets: ReadonlyArray<{ readonly le: number; readonly count: number }>;
    readonly sum: number;
    readonly count: number;
  };
  /** Build outcomes by status, and failures by kind (`repo-outage`, `missing-dependency`, …). */
  readonly results: Record<ResultCounter, number>;
  readonly resultFailureKinds: Record<string, number>;
  /** When the last poll succeeded (ms since epoch), if one has. */
  readonly lastSuccessfulPollAt: number | undefined;
  /** RSS polls whose last-seen release had fallen off the feed's window. */
  readonly feedGaps: number;
  /** Releases withdrawn upstream after their submit, by reason. */
  readonly builtThenWithdrawn: Record<(typeof WITHDRAWAL_REASONS)[number], number>;
}

export class MetricsStore {
  readonly #redis: Redis;
  readonly #counters: string;
  readonly #histogram: string;

  constructor({ redis, keys }: { redis: Redis; keys: Pick<RedisKeys, 'metricsCounters' | 'metricsSubmitDuration'> }) {
    this.#redis = redis;
    this.#counters = keys.metricsCounters;
    this.#histogram = keys.metricsSubmitDuration;
  }

  async recordPoll(
    counts: Readonly<Partial<Record<ReleaseCounter, number>>> & {
      readonly gap?: boolean;
      readonly builtThenWithdrawn?: Readonly<Partial<Record<(typeof WITHDRAWAL_REASONS)[number], number>>>;
    },
    at: Date,
  ): Promise<void> {
    const pipeline = this.#redis.pipeline();
    for (const name of RELEASE_COUNTERS) {
      const count = counts[name] ?? 0;
      if (count > 0) pipeline.hincrby(this.#counters, `releases:${name}`, count);
    }
    if (counts.gap) pipeline.hincrby(this.#counters, 'feed:gaps', 1);
    for (const reason of WITHDRAWAL_REASONS) {
      const count = counts.builtThenWithdrawn?.[reason] ?? 0;
      if (count > 0) pipeline.hincrby(this.#counters, `built-then-withdrawn:${reason}`, count);
    }
    pipeline.hset(this.#counters, 'poll:last-success-ms', at.getTime());
    await pipeline.exec();
  }

  async recordSubmit(outcome: SubmitCounter, durationMs?: number): Promise<void> {
    const pipeline = this.#redis.pipeline();
    pipeline.hincrby(this.#counters, `submits:${outcome}`, 1);
    if (durationMs !== undefined) {
      const seconds = durationMs / 1000;
      const bucket = SUBMIT_DURATION_BUCKETS.find((le) => seconds <= le);
      pipeline.hincrby(this.#histogram, bucket === undefined ? '+Inf' : String(bucket), 1);
      pipeline.hincrbyfloat(this.#histogram, 'sum', seconds);
    }
    await pipeline.exec();
  }

  async recordResult(status: ResultCounter, failureKind?: string): Promise<void> {
    const pipeline = this.#redis.pipeline();
    pipeline.hincrby(this.#counters, `results:${status}`, 1);
    if (failureKind !== undefined) pipeline.hincrby(this.#counters, `result-kind:${failureKind}`, 1);
    await pipeline.exec();
  }

  async snapshot(): Promise<MetricsSnapshot> {
    const [counters, histogram] = await Promise.all([this.#redis.hgetall(this.#counters), this.#redis.hgetall(this.#histogram)]);
    const num = (value: string | undefined): number => (value === undefined ? 0 : Number(value));
    let cumulative = 0;
    const buckets = SUBMIT_DURATION_BUCKETS.map((le) => {
      cumulative += num(histogram[String(le)]);
      return { le, count: cumulative };
    });
    const count = cumulative + num(histogram['+Inf']);
    const lastPoll = counters['poll:last-success-ms'];
    return {
      releases: Object.fromEntries(RELEASE_COUNTERS.map((name) => [name, num(counters[`releases:${name}`])])) as Record<
        ReleaseCounter,
        number
      >,
      submits: Object.fromEntries(SUBMIT_COUNTERS.map((name) => [name, num(counters[`submits:${name}`])])) as Record<SubmitCounter, number>,
      submitDuration: { buckets, sum: num(histogram.sum), count },
      results: Object.fromEntries(RESULT_COUNTERS.map((name) => [name, num(counters[`results:${name}`])])) as Record<ResultCounter, number>,
      resultFailureKinds: Object.fromEntries(
        Object.entries(counters)
          .filter(([field]) => field.startsWith('result-kind:'))
          .map(([field, value]) => [field.slice('result-kind:'.length), Number(value)]),
      ),
      lastSuccessfulPollAt: lastPoll === undefined ? undefined : Number(lastPoll),
      feedGaps: num(counters['feed:gaps']),
      builtThenWithdrawn: Object.fromEntries(
        WITHDRAWAL_REASONS.map((reason) => [reason, num(counters[`built-then-withdrawn:${reason}`])]),
      ) as Record<(typeof WITHDRAWAL_REASONS)[number], number>,
    };
  }
}
