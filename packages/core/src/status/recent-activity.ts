// What happened lately, for `pypi-watch status`: the submit rate against `submit.rateLimit`, the last
// failed submits and builds, and whether the newest poll job failed. One Lua script, one round trip.
//
// Everything read here is job data or outcomes in Redis, which whoever can reach Redis may have
// written: the script cuts every string before it leaves Redis, and the parsing below trusts no
// shape. Escaping for a terminal is the printer's job (the text stays as it was, only bounded).

import type { Redis } from 'ioredis';
import { evalScript, luaScript } from '../redis/lua-script.js';

/** Submits finished (completed, or failed for good) in the window, and the limit over the same window. */
export interface SubmitRate {
  /** The window counted: `submit.rateLimit.duration`, at least a minute (a 1 s count says little). */
  readonly windowMs: number;
  /** Submit jobs that finished in the window, failed ones included. Attempts that will be retried are not counted. */
  readonly finished: number;
  readonly failed: number;
  /** `submit.rateLimit`. */
  readonly limit: { readonly max: number; readonly durationMs: number };
  /** The most the limit lets start in the window. */
  readonly limitInWindow: number;
  /** The pacer's next free start is ahead of now: the limit is what holds submits back at this moment. */
  readonly atLimit: boolean;
}

/** A submit job that failed for good (BullMQ's failed set), newest first. */
export interface FailedSubmit {
  readonly jobId: string;
  /** Empty when the job's data names none (data that was never ours). */
  readonly name: string;
  readonly version?: string;
  readonly target?: string;
  /** The first line of the failure, bounded. */
  readonly reason: string;
  /** When it failed (ms since the epoch), if recorded. */
  readonly at?: number;
}

/** A build the farm finished as a failure (see `pypi-watch report`), newest first. */
export interface FailedBuild {
  readonly name: string;
  readonly version?: string;
  readonly target: string;
  /** The failure kind (`missing-dependency`, `spec-needs-repair`, …). */
  readonly kind: string;
  readonly at: number;
}

/** The newest poll job that failed for good (all its attempts), if any. */
export interface PollFailure {
  readonly at: number;
  readonly reason: string;
}

export interface RecentActivity {
  readonly submitRate: SubmitRate;
  readonly failures: { readonly submits: readonly FailedSubmit[]; readonly builds: readonly FailedBuild[] };
  readonly pollFailure?: PollFailure;
}

export interface ReadRecentActivityOptions {
  readonly redis: Redis;
  /** BullMQ's keys of the submit and poll queues: `queue.toKey('')`, the key of a job less its id. */
  readonly submitJobKeyPrefix: string;
  readonly pollJobKeyPrefix: string;
  /** The pacer's key (`submitNextStart`, µs on Redis' clock) and its spacing between starts (µs). */
  readonly pacerKey: string;
  readonly pacerIntervalUs: number;
  /** The build outcomes sorted set (`results`). */
  readonly resultsKey: string;
  readonly rateLimit: { readonly max: number; readonly duration: number };
  /** Failed submits and failed builds shown, each. @defaultValue 3 */
  readonly failures?: number;
}

/** Newest build outcomes looked through for failures: a bound on the script's work, whatever is stored. */
const OUTCOMES_SCANNED = 500;
/** Longest job data, reason and outcome passed out of Redis (characters). */
const DATA_LIMIT = 2000;
const REASON_LIMIT = 300;
const NAME_LIMIT = 200;

// The window ends at Redis' TIME: the pacer's slots are on that clock, and the workers' finish times
// (BullMQ's scores) are closer to it than to whichever host runs `status`.
// KEYS: submit completed, submit failed, pacer, poll failed, results.
// ARGV: window ms, submit job key prefix, poll job key prefix, failures wanted, outcomes scanned, data limit.
// Job hashes are found from their ids as BullMQ's own scripts find them (same hash tag, same slot);
// pcall, since an id in a failed set may name a key that is no hash.
const READ_ACTIVITY = luaScript(`
local t = redis.call('TIME')
local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local since = nowMs - tonumber(ARGV[1])
local wanted, limit = tonumber(ARGV[4]), tonumber(ARGV[6])
local completed = redis.call('ZCOUNT', KEYS[1], since, '+inf')
local failed = redis.call('ZCOUNT', KEYS[2], since, '+inf')
local pacer = redis.call('GET', KEYS[3]) or ''
local function fields(key, names)
  local ok, values = pcall(redis.call, 'HMGET', key, unpack(names))
  local out = {}
  for i = 1, #names do
    local v = ok and values[i] or false
    out[i] = v and string.sub(v, 1, limit) or ''
  end
  return out
end
local submits = {}
for _, id in ipairs(redis.call('ZREVRANGE', KEYS[2], 0, wanted - 1)) do
  local f = fields(ARGV[2] .. id, {'data', 'failedReason', 'finishedOn'})
  submits[#submits + 1] = {string.sub(id, 1, 200), f[1], f[2], f[3]}
end
local poll = {}
for _, id in ipairs(redis.call('ZREVRANGE', KEYS[4], 0, 0)) do
  local f = fields(ARGV[3] .. id, {'failedReason', 'finishedOn'})
  poll = {f[1], f[2]}
end
local builds = {}
for _, member in ipairs(redis.call('ZREVRANGE', KEYS[5], 0, tonumber(ARGV[5]) - 1)) do
  if #builds >= wanted then break end
  if #member <= limit and string.find(member, '"status":"failure"', 1, true) then builds[#builds + 1] = member end
end
return {t[1], t[2], completed, failed, pacer, submits, poll, builds}
`);

export async function readRecentActivity(options: ReadRecentActivityOptions): Promise<RecentActivity> {
  const { redis, rateLimit } = options;
  const wanted = options.failures ?? 3;
  const windowMs = Math.max(60_000, rateLimit.duration);
  const reply = (await evalScript(
    redis,
    READ_ACTIVITY,
    [
      options.submitJobKeyPrefix + 'completed',
      options.submitJobKeyPrefix + 'failed',
      options.pacerKey,
      options.pollJobKeyPrefix + 'failed',
      options.resultsKey,
    ],
    [String(windowMs), options.submitJobKeyPrefix, options.pollJobKeyPrefix, String(wanted), String(OUTCOMES_SCANNED), String(DATA_LIMIT)],
  )) as [string, string, number, number, string, unknown[], unknown[], unknown[]];
  const [seconds, micros, completed, failed, pacer, submits, poll, builds] = reply;
  const nowUs = Number(seconds) * 1_000_000 + Number(micros);
  const lastStartUs = Number(pacer);
  const pollFailure = pollFailureOf(poll);
  return {
    submitRate: {
      windowMs,
      finished: completed + failed,
      failed,
      limit: { max: rateLimit.max, durationMs: rateLimit.duration },
      limitInWindow: Math.floor((rateLimit.max * windowMs) / rateLimit.duration),
      // The pacer's next free start is the last reserved one plus the spacing.
      atLimit: pacer !== '' && Number.isFinite(lastStartUs) && lastStartUs + options.pacerIntervalUs > nowUs,
    },
    failures: {
      submits: submits.flatMap((entry) => failedSubmitOf(entry) ?? []),
      builds: builds.flatMap((member) => failedBuildOf(member) ?? []),
    },
    ...(pollFailure === undefined ? {} : { pollFailure }),
  };
}

function failedSubmitOf(entry: unknown): FailedSubmit | undefined {
  if (!Array.isArray(entry)) return undefined;
  const [jobId, rawData, failedReason, finishedOn] = (entry as unknown[]).map((value) => (typeof value === 'string' ? value : ''));
  const data = parseObject(rawData ?? '');
  const at = timeOf(finishedOn);
  const version = boundedString(data?.version, NAME_LIMIT);
  const target = boundedString(data?.target, NAME_LIMIT);
  return {
    jobId: jobId ?? '',
    name: boundedString(data?.name, NAME_LIMIT) ?? '',
    ...(version === undefined ? {} : { version }),
    ...(target === undefined ? {} : { target }),
    reason: firstLine(failedReason ?? ''),
    ...(at === undefined ? {} : { at }),
  };
}

function failedBuildOf(member: unknown): FailedBuild | undefined {
  const outcome = typeof member === 'string' ? parseObject(member) : undefined;
  if (outcome?.status !== 'failure') return undefined;
  const name = boundedString(outcome.name, NAME_LIMIT);
  const at = typeof outcome.finishedAt === 'number' && Number.isFinite(outcome.finishedAt) ? outcome.finishedAt : undefined;
  if (name === undefined || at === undefined) return undefined;
  const version = boundedString(outcome.version, NAME_LIMIT);
  return {
    name,
    ...(version === undefined ? {} : { version }),
    target: boundedString(outcome.target, NAME_LIMIT) ?? '',
    kind: boundedString(outcome.kind, NAME_LIMIT) ?? 'other',
    at,
  };
}

function pollFailureOf(poll: unknown[]): PollFailure | undefined {
  const [reason, finishedOn] = poll;
  const at = timeOf(finishedOn);
  return at === undefined ? undefined : { at, reason: firstLine(typeof reason === 'string' ? reason : '') };
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function boundedString(value: unknown, limit: number): string | undefined {
  if (typeof value !== 'string') return undefined;
  return value.length > limit ? `${value.slice(0, limit - 1)}…` : value;
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0]?.trim() ?? '';
  return line.length > REASON_LIMIT ? `${line.slice(0, REASON_LIMIT - 1)}…` : line;
}

function timeOf(value: unknown): number | undefined {
  const ms = typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : undefined;
  return ms !== undefined && ms > 0 ? ms : undefined;
}
