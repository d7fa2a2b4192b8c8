// The dashboard's overview: the time series, the last poll, the backlog and what needs attention, read
// in one pipelined round trip for pypi-watch's keys (one HMGET of known fields per series bucket of the
// windows shown) plus BullMQ's job counts per queue, sent at the same time.
//
// Everything read is Redis content, which whoever can reach Redis may have written: each read asks for
// only what pypi-watch writes (named fields, the top modules, text cut in Redis), so planted values cost
// nothing to skip; each value is then checked for its shape and dropped when it is not ours. Escaping is
// the page's job.

import type { ChainableCommander } from 'ioredis';
import type { Config } from '../config/load-config.js';
import type { BuiltThenWithdrawnEntry } from '../decisions/built-then-withdrawn.js';
import { MISSING_MODULES_PER_HOUR, POLL_ERROR_CHARS } from '../metrics/metrics-store.js';
import {
  bucketOf,
  counterOf,
  COUNTER_FIELDS,
  LATENCY_FIELDS,
  failureKindsOf,
  lastBuckets,
  mergeLatency,
  quantile,
  readBuckets,
  OUTCOME_FIELDS,
  type LatencyName,
  type SeriesBucket,
} from '../metrics/time-series.js';
import { QUEUE_NAMES } from '../queues/queue-names.js';
import type { Queues } from '../queues/queues.js';
import type { RedisKeys } from '../redis/redis-keys.js';
import { checkProjectName } from '../release/project-name.js';
import { checkVersion } from '../release/version.js';
import type { Runtime } from '../runtime.js';
import { ATTENTION_WINDOW_MS, attentionFor, DEFAULT_LAG_ALARM, REFUSING_WINDOW_MINUTES } from './attention.js';
import type { DailyBucket, LatencySummary, Overview, OverviewLag, OverviewLastPoll, QueueBacklog } from './overview.js';
import { readOverviewText } from './overview-text-reads.js';

export type * from './overview.js';

const DAY = 86_400_000;
/** Days of build outcomes shown; the hour series keeps exactly this many. */
export const OVERVIEW_DAYS = 90;
const HOURS_SHOWN = 48;
const MINUTES_SHOWN = 60;
const LATENCY_HOURS = 24;
/** Newest built-then-withdrawn entries looked at (the list keeps 10,000). */
const WITHDRAWN_READ = 200;
/** What the minute buckets are read for: the minutely chart, the rate and "the farm is refusing". */
const MINUTE_FIELDS: readonly string[] = ['submits-started', 'submits-failed'];

/** What readOverview needs of a runtime (a Runtime is one). */
export interface OverviewRuntime extends Pick<Runtime, 'config' | 'redis'> {
  readonly queues: Queues;
  readonly stores: { readonly keys: RedisKeys };
}

export async function readOverview(runtime: OverviewRuntime, now: number): Promise<Overview> {
  const { config, redis } = runtime;
  const keys = runtime.stores.keys;
  const pipeline = redis.pipeline();
  // Every hour of the 90 UTC days shown: the newest 48 for all their counters (the hourly chart) and the
  // newest 24 also for their latency cells, the older ones for their build outcomes only.
  const today = Math.floor(now / DAY) * DAY;
  const allHours = lastBuckets('hour', now, bucketOf('hour', now) - bucketOf('hour', today - (OVERVIEW_DAYS - 1) * DAY) + 1);
  const olderRead = readBuckets(pipeline, keys, 'hour', allHours.slice(0, -HOURS_SHOWN), OUTCOME_FIELDS);
  const hourRead = readBuckets(pipeline, keys, 'hour', allHours.slice(-HOURS_SHOWN), COUNTER_FIELDS);
  const cellRead = readBuckets(pipeline, keys, 'hour', allHours.slice(-LATENCY_HOURS), LATENCY_FIELDS);
  const minuteRead = readBuckets(pipeline, keys, 'minute', lastBuckets('minute', now, MINUTES_SHOWN), MINUTE_FIELDS);
  const moduleHours = lastBuckets('hour', now, LATENCY_HOURS);
  // The writer keeps the top MISSING_MODULES_PER_HOUR of each hour; more than that is not ours.
  for (const hour of moduleHours) pipeline.zrevrange(keys.seriesMissingModules(hour), 0, MISSING_MODULES_PER_HOUR - 1, 'WITHSCORES');
  const textRead = readOverviewText(pipeline, keys, WITHDRAWN_READ);
  const [replies, backlog] = await Promise.all([execAll(pipeline), readBacklog(runtime.queues)]);

  let offset = 0;
  const older = olderRead.parse(replies, offset);
  offset += olderRead.commands;
  const hours = hourRead.parse(replies, offset);
  offset += hourRead.commands;
  const cells = cellRead.parse(replies, offset);
  offset += cellRead.commands;
  const minutes = minuteRead.parse(replies, offset);
  offset += minuteRead.commands;
  const missingModules = mergeModules(replies.slice(offset, offset + moduleHours.length).map(([, value]) => value));
  offset += moduleHours.length;
  const { lastPoll: lastPollRaw, failure: failureRaw, withdrawn: withdrawnRaw } = textRead.parse(replies[offset]);

  const success = readLastPoll(lastPollRaw);
  const poll = lastPollOf(success, failureRaw);
  const lag: OverviewLag | undefined = success && { value: success.lag, unit: success.source === 'rss' ? 'seconds' : 'serials' };
  const latencyHours = hours.slice(-LATENCY_HOURS);
  const recent = minutes.slice(-REFUSING_WINDOW_MINUTES);
  const { max, duration } = config.submit.rateLimit;

  return {
    generatedAt: now,
    lag,
    lastPoll: poll,
    hourly: hours.map((bucket) => ({
      at: bucket.at,
      found: counterOf(bucket, 'found'),
      queued: counterOf(bucket, 'queued'),
      waiting: counterOf(bucket, 'waiting'),
      filtered: counterOf(bucket, 'filtered'),
      superseded: counterOf(bucket, 'superseded'),
      submitsStarted: counterOf(bucket, 'submits-started'),
      submitsFailed: counterOf(bucket, 'submits-failed'),
    })),
    minutely: minutes.map((bucket) => ({
      at: bucket.at,
      submitsStarted: counterOf(bucket, 'submits-started'),
      submitsFailed: counterOf(bucket, 'submits-failed'),
    })),
    rate: {
      perMinute: minutes.length >= 2 ? counterOf(minutes[minutes.length - 2]!, 'submits-started') : 0,
      // Three significant digits, not two decimals: a quota of a few submits a day is 0.002 a minute, not 0.
      limitPerMinute: Number(((max * 60_000) / duration).toPrecision(3)),
    },
    backlog,
    daily: dailyOf([...older, ...hours], today),
    latency: { releaseToSubmit: summary(cells, 'releaseToSubmit'), submitToResult: summary(cells, 'submitToResult') },
    attention: attentionFor({
      now,
      pollEveryMs: config.source.every,
      lastPoll: poll,
      lastSuccessAt: success?.at,
      lag,
      lagAlarm: lagAlarmOf(config, lag?.unit ?? 'serials'),
      backlog,
      recentSubmits: {
        started: sum(recent, (bucket) => counterOf(bucket, 'submits-started')),
        failed: sum(recent, (bucket) => counterOf(bucket, 'submits-failed')),
      },
      builds: {
        success: sum(latencyHours, (bucket) => counterOf(bucket, 'builds-success')),
        failure: sum(latencyHours, (bucket) => counterOf(bucket, 'builds-failure')),
      },
      missingModules,
      withdrawn: readWithdrawn(withdrawnRaw, now - ATTENTION_WINDOW_MS),
    }),
  };
}

async function execAll(pipeline: ChainableCommander): Promise<Array<[Error | null, unknown]>> {
  return (await pipeline.exec()) ?? [];
}

async function readBacklog(queues: Queues): Promise<Record<string, QueueBacklog>> {
  const counts = await Promise.all(
    QUEUE_NAMES.map((name) => queues[name].getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed')),
  );
  return Object.fromEntries(
    QUEUE_NAMES.map((name, i) => {
      const c = counts[i] ?? {};
      return [
        name,
        { waiting: (c.waiting ?? 0) + (c.prioritized ?? 0), active: c.active ?? 0, delayed: c.delayed ?? 0, failed: c.failed ?? 0 },
      ];
    }),
  );
}

/** Build outcomes per UTC day, from the hour buckets (oldest first, `OVERVIEW_DAYS` of them). */
function dailyOf(hours: readonly SeriesBucket[], today: number): DailyBucket[] {
  const days = Array.from(
    { length: OVERVIEW_DAYS },
    (_, i): { at: number; success: number; failure: number; failureKinds: Record<string, number> } => ({
      at: today - (OVERVIEW_DAYS - 1 - i) * DAY,
      success: 0,
      failure: 0,
      failureKinds: {},
    }),
  );
  const first = days[0]!.at;
  for (const bucket of hours) {
    const day = days[Math.floor((bucket.at - first) / DAY)];
    if (!day) continue;
    day.success += counterOf(bucket, 'builds-success');
    day.failure += counterOf(bucket, 'builds-failure');
    for (const [kind, count] of Object.entries(failureKindsOf(bucket))) day.failureKinds[kind] = (day.failureKinds[kind] ?? 0) + count;
  }
  return days;
}

function summary(buckets: readonly SeriesBucket[], name: LatencyName): LatencySummary {
  const cells = mergeLatency(buckets, name);
  return { p50: quantile(cells, 0.5), p95: quantile(cells, 0.95), count: cells.reduce((total, count) => total + count, 0) };
}

function sum(buckets: readonly SeriesBucket[], of: (bucket: SeriesBucket) => number): number {
  return buckets.reduce((total, bucket) => total + of(bucket), 0);
}

/**
 * `notify.lagAlarm` (changelog serials, the same threshold notifications use) for a changelog lag;
 * DEFAULT_LAG_ALARM for an RSS lag (seconds), or while the config has no `notify`.
 */
export function lagAlarmOf(config: Config, unit: OverviewLag['unit']): number {
  const value: unknown = (config as { notify?: { lagAlarm?: unknown } }).notify?.lagAlarm;
  if (unit === 'serials' && typeof value === 'number' && Number.isFinite(value) && value > 0) return value;
  return DEFAULT_LAG_ALARM[unit];
}

interface StoredPoll {
  readonly at: number;
  readonly found: number;
  readonly queued: number;
  readonly gap: boolean;
  readonly lag: number;
  readonly source: string;
}

/** The last successful poll's result (PollState's JSON), or undefined when it is missing or not ours. */
function readLastPoll(raw: unknown): StoredPoll | undefined {
  const value = parseJson(raw);
  if (typeof value !== 'object' || value === null) return undefined;
  const poll = value as Record<string, unknown>;
  const at = typeof poll.startedAt === 'string' ? Date.parse(poll.startedAt) : NaN;
  if (!Number.isFinite(at)) return undefined;
  return {
    at,
    found: count(poll.found),
    queued: count(poll.queued),
    gap: poll.gap === true,
    lag: count(poll.lag),
    source: poll.source === 'rss' ? 'rss' : 'changelog',
  };
}

/** The newest of the last success and the last recorded failure. */
function lastPollOf(success: StoredPoll | undefined, failureRaw: unknown): OverviewLastPoll | undefined {
  const [failedAtRaw, errorRaw] = Array.isArray(failureRaw) ? (failureRaw as unknown[]) : [];
  const failedAt = Number(failedAtRaw ?? NaN);
  if (Number.isSafeInteger(failedAt) && failedAt > 0 && (success === undefined || failedAt > success.at)) {
    const error = typeof errorRaw === 'string' && errorRaw.length > 0 ? errorRaw.slice(0, POLL_ERROR_CHARS) : 'no reason recorded';
    return { at: failedAt, ok: false, found: 0, queued: 0, gap: false, error };
  }
  return success && { at: success.at, ok: true, found: success.found, queued: success.queued, gap: success.gap };
}

/** The missing-modules sets of the last 24 hours, added up, most missed first. */
function mergeModules(replies: readonly unknown[]): Array<{ module: string; count: number }> {
  const counts = new Map<string, number>();
  for (const reply of replies) {
    if (!Array.isArray(reply)) continue;
    for (let i = 0; i + 1 < reply.length; i += 2) {
      const module: unknown = reply[i];
      const score = Number(reply[i + 1]);
      if (typeof module !== 'string' || !/^[A-Za-z_][A-Za-z0-9_.]{0,119}$/.test(module) || !Number.isSafeInteger(score) || score <= 0)
        continue;
      counts.set(module, (counts.get(module) ?? 0) + score);
    }
  }
  return [...counts]
    .map(([module, total]) => ({ module, count: total }))
    .sort((a, b) => b.count - a.count || a.module.localeCompare(b.module));
}

/** Built-then-withdrawn entries since `sinceMs`, oldest first; entries that are not ours are skipped. */
function readWithdrawn(raw: unknown, sinceMs: number): BuiltThenWithdrawnEntry[] {
  if (!Array.isArray(raw)) return [];
  const entries: BuiltThenWithdrawnEntry[] = [];
  for (const text of raw) {
    const value = parseJson(text);
    if (typeof value !== 'object' || value === null) continue;
    const entry = value as Record<string, unknown>;
    const { at, normalized, version, reason } = entry;
    if (typeof at !== 'number' || at < sinceMs || typeof normalized !== 'string' || !checkProjectName(normalized).ok) continue;
    if (reason !== 'yanked' && reason !== 'removed' && reason !== 'quarantined') continue;
    if (version !== undefined && (typeof version !== 'string' || !checkVersion(version).ok)) continue;
    entries.push({ at, normalized, reason, ...(version === undefined ? {} : { version }) });
  }
  return entries;
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : 0;
}

function parseJson(raw: unknown): unknown {
  if (typeof raw !== 'string') return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}
