// The overview's time series in Redis: one small hash per minute (kept 48 h) and per hour (kept 90
// days), shared by every process. Writers add HINCRBYs and one PEXPIREAT per bucket to a pipeline
// (or a submit's one script call) they send anyway; readers fetch the buckets of a window in one pipeline and merge them.
//
// A bucket's key names its start (minutes or hours since the epoch, UTC), and expires at its end plus
// the retention, so the series stays bounded without a cleanup job: nothing older is ever read, and
// Redis drops it. Latency is kept as a histogram per hour bucket on fixed log-scale bounds, so the
// percentiles of any window are computed by adding cells, with a bounded size per bucket.

import type { ChainableCommander } from 'ioredis';
import type { RedisKeys } from '../redis/redis-keys.js';
import type { HashCounterWriter } from '../redis/hash-increments.js';
import { FAILURE_KINDS } from '../results/result-classifier.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

export const SERIES_RESOLUTIONS = {
  minute: { widthMs: MINUTE, keepMs: 48 * HOUR },
  hour: { widthMs: HOUR, keepMs: 90 * DAY },
} as const;
export type SeriesResolution = keyof typeof SERIES_RESOLUTIONS;

/** Counters of both resolutions. */
export const SERIES_COUNTERS = [
  'found',
  'queued',
  'waiting',
  'filtered',
  'superseded',
  'submits-started',
  'submits-failed',
  'builds-success',
  'builds-failure',
  'builds-gave-up',
  'builds-unreadable',
] as const;
export type SeriesCounter = (typeof SERIES_COUNTERS)[number];

/** Failures by kind are fields `kind:<kind>`, for the classifier's kinds only (`missing-dependency`, …). */
export const FAILURE_KIND_FIELD = 'kind:';
const KINDS: ReadonlySet<string> = new Set(FAILURE_KINDS);
/** The fields of build outcomes: what a reader of days of buckets asks for, instead of every field. */
export const OUTCOME_FIELDS: readonly string[] = [
  'builds-success',
  'builds-failure',
  ...FAILURE_KINDS.map((kind) => `${FAILURE_KIND_FIELD}${kind}`),
];

/** The two latencies, each a histogram in the hour buckets: cells `<prefix><bucket index>`. */
export const LATENCIES = { releaseToSubmit: 'r2s:', submitToResult: 's2r:' } as const;
export type LatencyName = keyof typeof LATENCIES;

/**
 * Upper bounds (seconds) of the latency cells: 2^(i/4), from 1 s to about 34 days (2^21.5 s), so a percentile
 * read from them is off by at most a fourth of an octave (19 %). Cell 0 holds everything up to 1 s.
 */
export const LATENCY_BOUNDS: readonly number[] = Array.from({ length: 87 }, (_, i) => 2 ** (i / 4));
/**
 * Latencies above this are not recorded: a release time from job data (hostile, or a backfill of old
 * serials) must not stretch the percentiles of live work. A release waits at most `filters.sdistWait`
 * (14 days by default) at the gate.
 */
export const MAX_LATENCY_SECONDS = 30 * 86_400;
/**
 * Every counter a bucket can hold (counters and failure kinds, no latency cells). Readers ask for these
 * fields by name (HMGET), never for the whole hash: whoever can write Redis could add a million fields.
 */
export const COUNTER_FIELDS: readonly string[] = [...SERIES_COUNTERS, ...FAILURE_KINDS.map((kind) => `${FAILURE_KIND_FIELD}${kind}`)];
/** Every latency cell of both latencies, by name (see COUNTER_FIELDS). */
export const LATENCY_FIELDS: readonly string[] = Object.values(LATENCIES).flatMap((prefix) =>
  LATENCY_BOUNDS.map((_, i) => `${prefix}${i}`),
);
/** Clocks of different hosts disagree a little: a latency this far below zero counts as zero; further is forged. */
export const CLOCK_SKEW_SECONDS = 300;

/** The cell of a latency, or undefined when it is not believable (negative beyond skew, too long, not a number). */
export function latencyCell(seconds: number): number | undefined {
  if (!Number.isFinite(seconds) || seconds < -CLOCK_SKEW_SECONDS || seconds > MAX_LATENCY_SECONDS) return undefined;
  const index = LATENCY_BOUNDS.findIndex((bound) => seconds <= bound);
  return index < 0 ? undefined : index;
}

/** The bucket number (minutes or hours since the epoch) holding `at` (ms). */
export function bucketOf(resolution: SeriesResolution, at: number): number {
  return Math.floor(at / SERIES_RESOLUTIONS[resolution].widthMs);
}

/** When a bucket starts (ms). */
export function bucketStart(resolution: SeriesResolution, bucket: number): number {
  return bucket * SERIES_RESOLUTIONS[resolution].widthMs;
}

/** The last `count` buckets up to and including the one holding `now`, oldest first. */
export function lastBuckets(resolution: SeriesResolution, now: number, count: number): number[] {
  const newest = bucketOf(resolution, now);
  return Array.from({ length: count }, (_, i) => newest - count + 1 + i);
}

/** What one event adds to the series. */
export interface SeriesSample {
  readonly counts?: Readonly<Partial<Record<SeriesCounter, number>>>;
  /** A build failure's kind (ignored unless it is one of FAILURE_KINDS). */
  readonly failureKind?: string;
  readonly latency?: Readonly<Partial<Record<LatencyName, number>>>;
}

type SeriesKeys = Pick<RedisKeys, 'seriesBucket'>;

/**
 * Adds `sample` at `at` (ms) to `pipeline` (a pipeline, or HashIncrements): counters to the minute and hour buckets, latency cells to
 * the hour bucket only (percentiles are read over a day). Each touched bucket gets its expiry again
 * (absolute, so repeating it changes nothing); a bucket already past its retention is deleted at once.
 */
export function addToSeries(pipeline: HashCounterWriter, keys: SeriesKeys, at: number, sample: SeriesSample): void {
  const fields: Array<[string, number]> = [];
  for (const name of Object.keys(sample.counts ?? {}) as SeriesCounter[]) {
    const count = sample.counts?.[name] ?? 0;
    if (Number.isSafeInteger(count) && count > 0) fields.push([name, count]);
  }
  if (sample.failureKind !== undefined && KINDS.has(sample.failureKind)) fields.push([`${FAILURE_KIND_FIELD}${sample.failureKind}`, 1]);
  const cells: Array<[string, number]> = [];
  for (const name of Object.keys(sample.latency ?? {}) as LatencyName[]) {
    const seconds = sample.latency?.[name];
    const cell = seconds === undefined ? undefined : latencyCell(seconds);
    if (cell !== undefined) cells.push([`${LATENCIES[name]}${cell}`, 1]);
  }
  if (fields.length > 0) write(pipeline, keys, 'minute', at, fields);
  if (fields.length + cells.length > 0) write(pipeline, keys, 'hour', at, [...fields, ...cells]);
}

function write(
  pipeline: HashCounterWriter,
  keys: SeriesKeys,
  resolution: SeriesResolution,
  at: number,
  fields: ReadonlyArray<[string, number]>,
): void {
  const bucket = bucketOf(resolution, at);
  const key = keys.seriesBucket(resolution, bucket);
  for (const [field, count] of fields) pipeline.hincrby(key, field, count);
  const { widthMs, keepMs } = SERIES_RESOLUTIONS[resolution];
  pipeline.pexpireat(key, bucketStart(resolution, bucket) + widthMs + keepMs);
}

/** One bucket as read: its start, and its fields (counters and cells) as numbers; absent fields are 0. */
export interface SeriesBucket {
  readonly at: number;
  readonly fields: Readonly<Record<string, number>>;
}

/**
 * Adds one command per bucket to `pipeline`: HMGET of `fields` (from COUNTER_FIELDS, LATENCY_FIELDS), so a
 * read costs the same however many fields someone added to a bucket (reading 90 days of hours for their
 * outcomes alone, an HMGET of 8 fields costs a fifth of an HGETALL of ~60: see bench/overview-read.ts).
 * `parse` turns the replies from `offset` on into buckets.
 */
export function readBuckets(
  pipeline: ChainableCommander,
  keys: SeriesKeys,
  resolution: SeriesResolution,
  buckets: readonly number[],
  fields: readonly string[],
): { parse(replies: ReadonlyArray<[Error | null, unknown]>, offset: number): SeriesBucket[]; readonly commands: number } {
  for (const bucket of buckets) pipeline.hmget(keys.seriesBucket(resolution, bucket), ...fields);
  return {
    commands: buckets.length,
    parse: (replies, offset) =>
      buckets.map((bucket, i) => ({ at: bucketStart(resolution, bucket), fields: numericFields(replies[offset + i], fields) })),
  };
}

/** Redis content is hostile too: a field that is not a positive integer counts as absent. */
function numericFields(reply: [Error | null, unknown] | undefined, fields: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  if (!reply || reply[0] || !Array.isArray(reply[1])) return out;
  const values = reply[1] as unknown[];
  const entries = fields.map((field, i): [string, unknown] => [field, values[i]]);
  for (const [field, raw] of entries) {
    if (raw === null || raw === undefined) continue;
    const value = Number(raw);
    if (Number.isSafeInteger(value) && value > 0) out[field] = value;
  }
  return out;
}

/** A counter of a bucket (0 when absent). */
export function counterOf(bucket: SeriesBucket, name: SeriesCounter): number {
  return bucket.fields[name] ?? 0;
}

/** The failure kinds of a bucket, by kind. */
export function failureKindsOf(bucket: SeriesBucket): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const [field, value] of Object.entries(bucket.fields)) {
    if (field.startsWith(FAILURE_KIND_FIELD)) kinds[field.slice(FAILURE_KIND_FIELD.length)] = value;
  }
  return kinds;
}

/** One latency's cells over `buckets`, added up: index i holds the count of cell i. */
export function mergeLatency(buckets: readonly SeriesBucket[], name: LatencyName): number[] {
  const cells = new Array<number>(LATENCY_BOUNDS.length).fill(0);
  const prefix = LATENCIES[name];
  for (const bucket of buckets) {
    for (const [field, value] of Object.entries(bucket.fields)) {
      if (!field.startsWith(prefix)) continue;
      const index = Number(field.slice(prefix.length));
      if (Number.isInteger(index) && index >= 0 && index < cells.length) cells[index]! += value;
    }
  }
  return cells;
}

/**
 * The `q` quantile (0–1) of merged cells, in seconds: found in its cell, then placed inside it on a
 * log scale (linearly in the first cell, which starts at 0). Undefined when there are no samples.
 */
export function quantile(cells: readonly number[], q: number): number | undefined {
  const total = cells.reduce((sum, count) => sum + count, 0);
  if (total === 0) return undefined;
  const rank = Math.min(Math.max(q, 0), 1) * total;
  let below = 0;
  for (let i = 0; i < cells.length; i++) {
    const count = cells[i]!;
    if (count === 0 || below + count < rank) {
      below += count;
      continue;
    }
    const fraction = Math.max(0, rank - below) / count;
    const upper = LATENCY_BOUNDS[i]!;
    if (i === 0) return upper * fraction;
    const lower = LATENCY_BOUNDS[i - 1]!;
    return lower * (upper / lower) ** fraction;
  }
  return LATENCY_BOUNDS[cells.length - 1]!;
}
