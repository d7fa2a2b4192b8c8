// "Latest wins": the farm builds the newest version of a project whenever a job for it runs, so a
// newer release joins a submit job of the same project and target that has not started yet.
// One Redis hash field per project and target while such a job waits; its worker takes it at start.

import { compare } from '@renovatebot/pep440';
import type { Redis } from 'ioredis';
import { PypiWatchError } from '../errors.js';
import { callsInFlight } from '../redis/calls-in-flight.js';
import { evalScript, luaScript, type LuaScript } from '../redis/lua-script.js';
import type { RedisKeys } from '../redis/redis-keys.js';

export interface PendingLatestOptions {
  readonly redis: Redis;
  readonly keys: Pick<RedisKeys, 'latest' | 'latestClaimedPrefix'>;
  /** BullMQ's key of a submit job, less its id (`queue.toKey('')`), to tell a live job from a gone one. */
  readonly jobKeyPrefix: string;
  /** How long a claimed job's versions are remembered, for a poll that replays after a crash. @defaultValue 86400000 (ms) */
  readonly claimedTtlMs?: number;
}

export interface JoinRequest {
  readonly normalized: string;
  readonly targetId: string;
  /** The job this release gets if nothing is pending to join. */
  readonly jobId: string;
  readonly name: string;
  readonly version: string;
}

/** What a pending job stands for when its worker takes it. */
export interface PendingVersions {
  readonly jobId: string;
  readonly name: string;
  /** In the order they joined; the first is the job's own. */
  readonly versions: readonly string[];
  /** The stored value, for the compare-and-delete. */
  readonly raw: string;
}

// Value layout: job id, name, then the versions, one a line (none of them can hold a newline).
// A field whose job is gone or finished (a crash between this script and the add, a job removed by
// hand) is not joined: the release gets its own job, so nothing is lost to a stale field.
// A field its worker has claimed is remembered for a while (`<claimed prefix><field>`): a poll that
// failed after joining and replays must not give an already built version a job of its own.
// ARGV: job key prefix, claimed key prefix, then field, job id, name, version per release.
const JOIN_SCRIPT = luaScript(`
local function hasVersion(value, version)
  local first = string.find(value, '\\n', 1, true)
  local second = string.find(value, '\\n', first + 1, true)
  return string.find('\\n' .. string.sub(value, second + 1) .. '\\n', '\\n' .. version .. '\\n', 1, true) ~= nil
end
local out = {}
for i = 3, #ARGV, 4 do
  local field, jobId, name, version = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local current = redis.call('HGET', KEYS[1], field)
  local result = ''
  if current then
    local pendingJob = string.sub(current, 1, string.find(current, '\\n', 1, true) - 1)
    if pendingJob == jobId then
      result = 'own'
    else
      local jobKey = ARGV[1] .. pendingJob
      if redis.call('EXISTS', jobKey) == 1 and redis.call('HEXISTS', jobKey, 'finishedOn') == 0 then
        if not hasVersion(current, version) then
          redis.call('HSET', KEYS[1], field, current .. '\\n' .. version)
        end
        result = pendingJob
      end
    end
  end
  if result == '' then
    local claimed = redis.call('GET', ARGV[2] .. field)
    if claimed and hasVersion(claimed, version) then
      result = string.sub(claimed, 1, string.find(claimed, '\\n', 1, true) - 1)
    end
  end
  if result == '' then
    redis.call('HSET', KEYS[1], field, jobId .. '\\n' .. name .. '\\n' .. version)
  end
  if result == 'own' then result = '' end
  out[#out + 1] = result
end
return out
`);

/** The field if it is this job's and something joined it; deleted at once when nothing did. */
const CLAIM_SCRIPT = luaScript(`
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return false end
if current == ARGV[3] then
  redis.call('HDEL', KEYS[1], ARGV[1])
  return false
end
if string.sub(current, 1, string.len(ARGV[2]) + 1) ~= ARGV[2] .. '\\n' then return false end
return current
`);

/**
 * Deletes the field if it still holds ARGV[2], remembering it under KEYS[3] for ARGV[3] ms; with
 * ARGV[4] not '', first stores it as the data of the job KEYS[2] (as BullMQ's updateData does), in
 * the same script: the job holds the newest version before the field is gone, in one round trip.
 * 1: done; 0: a release joined meanwhile (nothing changed); -1: the job is gone (nothing changed).
 */
const DELETE_IF_SCRIPT = luaScript(`
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
if ARGV[4] ~= '' then
  if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
  redis.call('HSET', KEYS[2], 'data', ARGV[4])
end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('SET', KEYS[3], ARGV[2], 'PX', ARGV[3])
return 1
`);

/** Drops one version (ARGV[2]; '' for all) from the field; returns {job id, versions left, removed...}. */
const WITHDRAW_SCRIPT = luaScript(`
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return false end
local lines = {}
for line in string.gmatch(current, '[^\\n]+') do lines[#lines + 1] = line end
local kept = { lines[1], lines[2] }
local out = { lines[1], 0 }
for i = 3, #lines do
  if ARGV[2] ~= '' and lines[i] ~= ARGV[2] then kept[#kept + 1] = lines[i] else out[#out + 1] = lines[i] end
end
if #kept == 2 then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], table.concat(kept, '\\n'))
end
out[2] = #kept - 2
return out
`);

/** Fields per join call: one round trip, a few ms of Redis time. */
const JOIN_CHUNK = 1000;

export function pendingField(normalized: string, targetId: string): string {
  return `${normalized}|${targetId}`;
}

/** The newest of PEP 440 versions (the farm builds the newest); unparseable ones sort first. */
export function newestVersion(versions: readonly string[]): string | undefined {
  let newest: string | undefined;
  for (const version of versions) {
    if (newest === undefined) newest = version;
    else if (safeCompare(version, newest) > 0) newest = version;
  }
  return newest;
}

function safeCompare(a: string, b: string): number {
  try {
    return compare(a, b);
  } catch {
    return 0;
  }
}

export class PendingLatest {
  readonly #redis: Redis;
  readonly #key: string;
  readonly #jobKeyPrefix: string;
  readonly #claimedPrefix: string;
  readonly #claimedTtlMs: number;

  constructor(options: PendingLatestOptions) {
    this.#redis = options.redis;
    this.#key = options.keys.latest;
    this.#jobKeyPrefix = options.jobKeyPrefix;
    this.#claimedPrefix = options.keys.latestClaimedPrefix;
    this.#claimedTtlMs = options.claimedTtlMs ?? 86_400_000;
  }

  /**
   * For each release: the id of the pending job it joined, or undefined when it must be added as
   * its own job (now recorded as the pending one). Add those jobs after this call; a crash between
   * the two leaves a field whose job is missing, which the next join treats as absent.
   */
  async join(requests: readonly JoinRequest[]): Promise<Array<string | undefined>> {
    // Chunks in flight run in Redis in the order sent, each atomically: as if one after the other.
    const replies = await callsInFlight(Math.ceil(requests.length / JOIN_CHUNK), (chunk) => {
      const args = [this.#jobKeyPrefix, this.#claimedPrefix];
      for (let index = chunk * JOIN_CHUNK; index < Math.min((chunk + 1) * JOIN_CHUNK, requests.length); index++) {
        const r = requests[index]!;
        args.push(pendingField(r.normalized, r.targetId), r.jobId, r.name, r.version);
      }
      return this.#eval(JOIN_SCRIPT, args) as Promise<string[]>;
    });
    const joined: Array<string | undefined> = [];
    for (const reply of replies) for (const id of reply) joined.push(id === '' ? undefined : id);
    return joined;
  }

  /**
   * Called by the worker about to run `jobId`: undefined when nothing joined it (the field, if any,
   * is gone now); otherwise every version it stands for. Store the newest in the job, then `release`.
   */
  async claim(request: JoinRequest): Promise<PendingVersions | undefined> {
    const field = pendingField(request.normalized, request.targetId);
    const alone = `${request.jobId}\n${request.name}\n${request.version}`;
    const raw = (await this.#eval(CLAIM_SCRIPT, [field, request.jobId, alone])) as string | null;
    if (raw === null) return undefined;
    const [jobId = '', name = '', ...versions] = raw.split('\n');
    return { jobId, name, versions, raw };
  }

  /**
   * Deletes the field if it still holds `claimed`; false when a release joined meanwhile (claim
   * again). With `data`, the job's data is replaced by it in the same step, and only if the field
   * is deleted.
   */
  async release(normalized: string, targetId: string, claimed: PendingVersions, data?: unknown): Promise<boolean> {
    const field = pendingField(normalized, targetId);
    const keys = [this.#key, this.#jobKeyPrefix + claimed.jobId, this.#claimedPrefix + field];
    const args = [field, claimed.raw, String(this.#claimedTtlMs), data === undefined ? '' : JSON.stringify(data)];
    const reply = await evalScript(this.#redis, DELETE_IF_SCRIPT, keys, args);
    // What BullMQ's updateData throws in that case too: the job was removed while it ran.
    if (reply === -1) throw new PypiWatchError('ERR_PENDING_JOB_GONE', `latest wins: job ${claimed.jobId} is gone; nothing claimed`);
    return reply === 1;
  }

  /**
   * A withdrawn release (or with `version` undefined, project) leaves the pending job of that project
   * and target. Returns that job, how many versions it still stands for (0: remove the job), and the
   * versions taken out of it (restorable: an unyank must bring each back).
   */
  async withdraw(
    normalized: string,
    targetId: string,
    version: string | undefined,
  ): Promise<{ jobId: string; versionsLeft: number; removed: string[] } | undefined> {
    const reply = (await this.#eval(WITHDRAW_SCRIPT, [pendingField(normalized, targetId), version ?? ''])) as
      [string, number, ...string[]] | null;
    if (reply === null) return undefined;
    const [jobId, versionsLeft, ...removed] = reply;
    return { jobId, versionsLeft: Number(versionsLeft), removed };
  }

  #eval(script: LuaScript, args: readonly string[]): Promise<unknown> {
    return evalScript(this.#redis, script, [this.#key], args);
  }
}
