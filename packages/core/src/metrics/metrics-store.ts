// Counters and the submit-duration histogram, kept in Redis so every process adds to one set of
// numbers and the dashboard's /metrics reports the whole system, not just its own process. The same
// pipelines add to the overview's time series (time-series.ts): no extra round trip per event.

import type { Redis } from 'ioredis';
import { HashIncrements } from '../redis/hash-increments.js';
import type { RedisKeys } from '../redis/redis-keys.js';
import { addToSeries, bucketOf, SERIES_RESOLUTIONS, type SeriesCounter } from './time-series.js';

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

/** Keys the store writes. */
export type MetricsKeys = Pick<RedisKeys, 'metricsCounters' | 'metricsSubmitDuration' | 'seriesBucket' | 'seriesMissingModules'>;

/** Modules kept per hour in the missing-modules set: the overview names the top few of a day (and reads no more). */
export const MISSING_MODULES_PER_HOUR = 50;
/** A failed poll's message is kept this short (it may quote PyPI's fault text). */
export const POLL_ERROR_CHARS = 300;

/** Outcomes the overview charts, as series counters (`unmapped` is a config matter, not a build's). */
const RESULT_SERIES: Partial<Record<ResultCounter, SeriesCounter>> = {
  success: 'builds-success',
  failure: 'builds-failure',
  'gave-up': 'builds-gave-up',
  unreadable: 'builds-unreadable',
};
const FINISHED: ReadonlySet<ResultCounter> = new Set(['success', 'failure']);
/** What missing-modules.ts lets through: a dotted Python name of at most 120 characters. */
const MODULE_NAME = /^[A-Za-z_][A-Za-z0-9_.]{0,119}$/;
/** The missing-modules sets serve the overview's last 24 hours. */
export const MISSING_MODULES_KEEP_MS = 24 * 3_600_000;

export class MetricsStore {
  readonly #redis: Redis;
  readonly #keys: MetricsKeys;
  readonly #counters: string;
  readonly #histogram: string;
  readonly #now: () => number;

  /** `now` dates the time-series buckets (tests move it to check retention). @defaultValue Date.now */
  constructor({ redis, keys, now }: { redis: Redis; keys: MetricsKeys; now?: () => number }) {
    this.#redis = redis;
    this.#keys = keys;
    this.#counters = keys.metricsCounters;
    this.#histogram = keys.metricsSubmitDuration;
    this.#now = now ?? Date.now;
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
    const series: Partial<Record<SeriesCounter, number>> = {};
    for (const name of ['found', 'queued', 'waiting', 'filtered', 'superseded'] as const) series[name] = counts[name] ?? 0;
    addToSeries(pipeline, this.#keys, at.getTime(), { counts: series });
    await pipeline.exec();
  }

  /** A poll that failed (not one refused because another was running), for the overview's "last poll". */
  async recordPollFailure(message: string): Promise<void> {
    await this.#redis.hset(this.#counters, {
      'poll:last-failure-ms': this.#now(),
      'poll:last-failure-error': message.slice(0, POLL_ERROR_CHARS),
    });
  }

  /**
   * One submit attempt that ran: a start in the series, and a failure unless it succeeded.
   * `releaseToStartSeconds` (first attempts of poll-queued jobs) goes to the latency histogram.
   */
  async recordSubmit(
    outcome: SubmitCounter,
    durationMs?: number,
    latency: { readonly releaseToStartSeconds?: number | undefined } = {},
  ): Promise<void> {
    // One script call, not a pipeline of eight: this is on every submit's path (redis/hash-increments.ts).
    const increments = new HashIncrements();
    increments.hincrby(this.#counters, `submits:${outcome}`, 1);
    addToSeries(increments, this.#keys, this.#now(), {
      counts: { 'submits-started': 1, 'submits-failed': outcome === 'succeeded' ? 0 : 1 },
      ...(latency.releaseToStartSeconds === undefined ? {} : { latency: { releaseToSubmit: latency.releaseToStartSeconds } }),
    });
    if (durationMs !== undefined) {
      const seconds = durationMs / 1000;
      const bucket = SUBMIT_DURATION_BUCKETS.find((le) => seconds <= le);
      increments.hincrby(this.#histogram, bucket === undefined ? '+Inf' : String(bucket), 1);
      increments.hincrbyfloat(this.#histogram, 'sum', seconds);
    }
    await increments.send(this.#redis);
  }

  /**
   * One build outcome. `submitToResultSeconds` goes to the latency histogram, `missingModules` (what a
   * failed build's log said was missing, already validated) to the hour's bounded missing-modules set.
   */
  async recordResult(
    status: ResultCounter,
    failureKind?: string,
    extra: { readonly submitToResultSeconds?: number | undefined; readonly missingModules?: readonly string[] } = {},
  ): Promise<void> {
    const at = this.#now();
    const pipeline = this.#redis.pipeline();
    pipeline.hincrby(this.#counters, `results:${status}`, 1);
    if (failureKind !== undefined) pipeline.hincrby(this.#counters, `result-kind:${failureKind}`, 1);
    const counter = RESULT_SERIES[status];
    addToSeries(pipeline, this.#keys, at, {
      ...(counter === undefined ? {} : { counts: { [counter]: 1 } }),
      ...(status === 'failure' && failureKind !== undefined ? { failureKind } : {}),
      // Only a build that finished has a submit→result time: giving up measures results.giveUpAfter.
      ...(extra.submitToResultSeconds === undefined || counter === undefined || !FINISHED.has(status)
        ? {}
        : { latency: { submitToResult: extra.submitToResultSeconds } }),
    });
    const modules = status === 'failure' ? (extra.missingModules ?? []).filter((name) => MODULE_NAME.test(name)).slice(0, 3) : [];
    if (modules.length > 0) {
      const hour = bucketOf('hour', at);
      const key = this.#keys.seriesMissingModules(hour);
      for (const module of modules) pipeline.zincrby(key, 1, module);
      // The least missed go first: a top-k, approximate for the rarely missed, exact enough for the top.
      pipeline.zremrangebyrank(key, 0, -MISSING_MODULES_PER_HOUR - 1);
      pipeline.pexpireat(key, (hour + 1) * SERIES_RESOLUTIONS.hour.widthMs + MISSING_MODULES_KEEP_MS);
    }
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
