// The overview's reads of keys that hold text (the last poll, the last poll failure, the built-then-withdrawn
// list), cut to size inside Redis: one command in the overview's pipeline, however big a value someone
// who can write Redis put there. What pypi-watch writes is below every bound (a last poll is a few kB, at
// most ~600 kB with an RSS cursor of 500 seen titles of 512 characters on either side; an error is 300
// characters, a withdrawn entry ~150 bytes), so an honest read loses nothing.

import type { ChainableCommander } from 'ioredis';
import type { RedisKeys } from '../redis/redis-keys.js';

/** A last poll longer than this is not ours: it is not read (STRLEN costs nothing, whatever the length). */
export const LAST_POLL_BYTES = 1024 * 1024;
/** The poll error as Redis cuts it (bytes: 300 characters of up to 4 bytes in UTF-8); trimmed to 300 characters after. */
const ERROR_BYTES = 1200;
/** A withdrawn entry longer than this is not ours and is skipped in Redis, not sent. */
export const WITHDRAWN_ENTRY_BYTES = 1024;

// KEYS: last poll, metrics counters, withdrawn list. ARGV: last poll bytes, error bytes, entries wanted, entry bytes.
// pcall and type checks: a key of another type answers as missing, not as an error that fails the page.
// `false` is Redis' nil inside a reply; a Lua nil would end the array early.
const READ_TEXT = `
local poll = false
local length = redis.pcall('STRLEN', KEYS[1])
if type(length) == 'number' and length > 0 and length <= tonumber(ARGV[1]) then poll = redis.call('GET', KEYS[1]) end
local failedAt, err = false, false
local failure = redis.pcall('HMGET', KEYS[2], 'poll:last-failure-ms', 'poll:last-failure-error')
if type(failure) == 'table' and failure.err == nil then
  if failure[1] then failedAt = string.sub(failure[1], 1, 32) end
  if failure[2] then err = string.sub(failure[2], 1, tonumber(ARGV[2])) end
end
local withdrawn = {}
local entries = redis.pcall('LRANGE', KEYS[3], -tonumber(ARGV[3]), -1)
if type(entries) == 'table' and entries.err == nil then
  local most = tonumber(ARGV[4])
  for _, entry in ipairs(entries) do
    if #entry <= most then withdrawn[#withdrawn + 1] = entry end
  end
end
return {poll, {failedAt, err}, withdrawn}
`;

export interface OverviewTextReplies {
  /** The last poll's JSON, when it is of a size pypi-watch writes. */
  readonly lastPoll: unknown;
  /** `[failedAtMs, error]` as stored, each possibly missing. */
  readonly failure: unknown;
  /** The newest withdrawn entries that are small enough to be ours, oldest first. */
  readonly withdrawn: unknown;
}

/** Adds the one command to `pipeline`; `parse` reads its reply. */
export function readOverviewText(
  pipeline: ChainableCommander,
  keys: Pick<RedisKeys, 'lastPoll' | 'metricsCounters' | 'withdrawnAfterSubmit'>,
  withdrawnWanted: number,
): { parse(reply: [Error | null, unknown] | undefined): OverviewTextReplies } {
  // EVAL, not EVALSHA: inside a pipeline a NOSCRIPT cannot be answered by sending the script then.
  pipeline.eval(
    READ_TEXT,
    3,
    keys.lastPoll,
    keys.metricsCounters,
    keys.withdrawnAfterSubmit,
    LAST_POLL_BYTES,
    ERROR_BYTES,
    withdrawnWanted,
    WITHDRAWN_ENTRY_BYTES,
  );
  return {
    parse: (reply) => {
      const [lastPoll, failure, withdrawn] = !reply || reply[0] || !Array.isArray(reply[1]) ? [] : (reply[1] as unknown[]);
      return { lastPoll, failure, withdrawn };
    },
  };
}
