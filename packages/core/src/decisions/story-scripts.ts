// The decision log's Lua scripts. Appending to a story is read, change, write: a script does it in
// Redis, atomically, so concurrent writers (the poll, many submit workers) never lose an entry, and one
// call carries a whole chunk of a poll's records. The scripts know the story's separators (RS between
// entries, US between an entry's first fields) and nothing of the decisions themselves.

import { luaScript } from '../redis/lua-script.js';

const HELPERS = `
local RS, US = '\\30', '\\31'
local DIGITS = '0123456789abcdefghijklmnopqrstuvwxyz'
local function to36(n)
  local negative = n < 0
  if negative then n = -n end
  local out = ''
  repeat
    local digit = n % 36
    out = string.sub(DIGITS, digit + 1, digit + 1) .. out
    n = (n - digit) / 36
  until n == 0
  if negative then return '-' .. out end
  return out
end
local function from36(text)
  if string.sub(text, 1, 1) == '-' then
    local value = tonumber(string.sub(text, 2), 36)
    return value and -value
  end
  return tonumber(text, 36)
end
-- A story's header: its newest entry's time and, when older, its oldest's; nil when unreadable.
-- Also returns where the entries start (their first RS).
local function readHeader(story)
  local stop = string.find(story, RS, 1, true)
  if not stop then return nil end
  local header = string.sub(story, 1, stop - 1)
  local split = string.find(header, US, 1, true)
  local lastAt = from36(split and string.sub(header, 1, split - 1) or header)
  if not lastAt then return nil end
  local span = split and from36(string.sub(header, split + 1)) or 0
  return lastAt, lastAt - span, stop
end
local function writeHeader(lastAt, firstAt)
  if lastAt == firstAt then return to36(lastAt) end
  return to36(lastAt) .. US .. to36(lastAt - firstAt)
end
-- Drops entries from the front of \`entries\` (which starts with RS) while there are more than \`keep\`
-- or the oldest is before \`cutoff\`; the first entry kept then names its version. An entry without
-- its fields (bytes no writer of ours left) is dropped like any other, never an error.
-- Returns the entries left ('' when none), their count and the oldest one's time.
local function dropFront(entries, n, firstAt, keep, cutoff)
  local start, version, dropped = 1, nil, 0
  while n > 0 and (n > keep or firstAt < cutoff) do
    local nextStart = string.find(entries, RS, start + 1, true)
    local deltaEnd = string.find(entries, US, start + 1, true)
    local versionEnd = deltaEnd and string.find(entries, US, deltaEnd + 1, true)
    if versionEnd and (not nextStart or versionEnd < nextStart) then
      local own = string.sub(entries, deltaEnd + 1, versionEnd - 1)
      if own ~= '' then version = own end
    end
    n, dropped = n - 1, dropped + 1
    if not nextStart then return '', 0, firstAt end
    local nextDeltaEnd = string.find(entries, US, nextStart + 1, true)
    local nextEnd = string.find(entries, RS, nextStart + 1, true)
    if nextDeltaEnd and (not nextEnd or nextDeltaEnd < nextEnd) then
      firstAt = firstAt + (from36(string.sub(entries, nextStart + 1, nextDeltaEnd - 1)) or 0)
    end
    start = nextStart
  end
  if dropped == 0 then return entries, n, firstAt end
  local rest = string.sub(entries, start)
  local deltaEnd = string.find(rest, US, 2, true)
  local versionEnd = deltaEnd and string.find(rest, US, deltaEnd + 1, true)
  local nextStart = string.find(rest, RS, 2, true)
  if versionEnd and (not nextStart or versionEnd < nextStart) then
    local own = string.sub(rest, deltaEnd + 1, versionEnd - 1)
    rest = RS .. '0' .. US .. (own ~= '' and own or version or '') .. string.sub(rest, versionEnd)
  end
  return rest, n, firstAt
end
`;

/**
 * KEYS[1] is the shared string table, KEYS[2..] the story buckets. ARGV: the entries' time (ms), the
 * cutoff (ms: older entries are dropped), the entries kept per subject, the keys' TTL (ms), now (unix s),
 * the count of strings to share and the strings, then per subject: its bucket (index into KEYS), the
 * subject, its entry count, and per entry its packed version and body.
 *
 * A story is a header `<last at>[US <last at - first at>]` then, per entry, RS `<delta from the entry
 * before>` US `<version>` US `<body>`; the version is empty when it is the previous entry's, so the
 * first entry kept always names its own. Appending touches only the header, the end and the entries
 * dropped from the front: no walk through a long story in Lua (string.find and patterns run in C).
 */
export const APPEND_SCRIPT = luaScript(`${HELPERS}
local at, cutoff, keep, ttl, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], ARGV[5]
local pos = 7
local ids = {}
for i = 0, tonumber(ARGV[6]) - 1 do
  local text = ARGV[pos]
  pos = pos + 1
  local id = redis.call('HGET', KEYS[1], 's' .. text)
  if not id then
    id = to36(redis.call('HINCRBY', KEYS[1], '#', 1))
    redis.call('HSET', KEYS[1], 's' .. text, id)
  end
  -- When it was last used: the cleanup drops what no entry younger than the TTL can refer to.
  redis.call('HSET', KEYS[1], 'i' .. id, now .. ':' .. text)
  ids[to36(i)] = id
end
if tonumber(ARGV[6]) > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
local function shared(index) return '\\18' .. (ids[index] or '') end

local touched = {}
while pos <= #ARGV do
  local key, subject, count = KEYS[tonumber(ARGV[pos])], ARGV[pos + 1], tonumber(ARGV[pos + 2])
  pos = pos + 3
  local story = redis.call('HGET', key, subject)
  local entries, n, current = '', 0, nil
  -- An unreadable header: the old entries' times are lost, so the story starts again.
  local lastAt, firstAt, stop = nil, nil, nil
  if story then lastAt, firstAt, stop = readHeader(story) end
  if lastAt then
    entries = string.sub(story, stop)
    n = select(2, string.gsub(entries, RS, ''))
    -- The last entry that names its version (greedy .* finds the last).
    current = string.match(entries, '.*\\30[^\\30\\31]*\\31([^\\30\\31]+)\\31')
  end
  local added = {}
  for i = 1, count do
    local version, body = ARGV[pos], string.gsub(ARGV[pos + 1], '\\19([0-9a-z]+)', shared)
    pos = pos + 2
    local field = version
    if n + i > 1 and version == current then field = '' end
    added[i] = RS .. (lastAt and to36(at - lastAt) or '0') .. US .. field .. US .. body
    current, lastAt = version, at
    if not firstAt then firstAt = at end
  end
  entries, n, firstAt = dropFront(entries .. table.concat(added), n + count, firstAt, keep, cutoff)
  if n == 0 then
    redis.call('HDEL', key, subject)
  else
    redis.call('HSET', key, subject, writeHeader(lastAt, firstAt) .. entries)
    touched[key] = true
  end
end
for key in pairs(touched) do redis.call('PEXPIRE', key, ttl) end
return 1
`);

/**
 * KEYS: the subject's list in the format before (JSON entries), its story bucket, the string table;
 * ARGV[1]: the subject. Returns the old list, the story ('' when none), and the table fields the story
 * refers to with their values, so a story is read in one round trip.
 */
export const READ_SCRIPT = luaScript(`
local old = redis.call('LRANGE', KEYS[1], 0, -1)
local story = redis.call('HGET', KEYS[2], ARGV[1]) or ''
local fields, seen = {}, {}
for id in string.gmatch(story, '\\18([0-9a-z]+)') do
  if not seen[id] then
    seen[id] = true
    fields[#fields + 1] = 'i' .. id
  end
end
local strings = {}
if #fields > 0 then strings = redis.call('HMGET', KEYS[3], unpack(fields)) end
return { old, story, fields, strings }
`);

/**
 * In the buckets in KEYS: deletes the stories whose newest entry is before ARGV[1] (ms), and drops
 * the entries before it from the others; with ARGV[2] = '0' only counts. Returns { deleted, trimmed }.
 */
export const PRUNE_STORIES_SCRIPT = luaScript(`${HELPERS}
local cutoff, deleted, trimmed = tonumber(ARGV[1]), 0, 0
for k = 1, #KEYS do
  local items = redis.call('HGETALL', KEYS[k])
  local expired = {}
  for i = 1, #items, 2 do
    local lastAt, firstAt, stop = readHeader(items[i + 1])
    if not lastAt or lastAt < cutoff then
      expired[#expired + 1] = items[i]
    elseif firstAt < cutoff then
      local entries, n, oldest = dropFront(string.sub(items[i + 1], stop), math.huge, firstAt, math.huge, cutoff)
      if n == 0 then
        expired[#expired + 1] = items[i]
      else
        trimmed = trimmed + 1
        if ARGV[2] == '1' then redis.call('HSET', KEYS[k], items[i], writeHeader(lastAt, oldest) .. entries) end
      end
    end
  end
  if ARGV[2] == '1' then
    for i = 1, #expired, 1000 do redis.call('HDEL', KEYS[k], unpack(expired, i, math.min(i + 999, #expired))) end
  end
  deleted = deleted + #expired
end
return { deleted, trimmed }
`);

/** Counts, and with ARGV[2] = '1' deletes, the shared strings last used before ARGV[1] (unix s) in the table KEYS[1]. */
export const PRUNE_STRINGS_SCRIPT = luaScript(`
local cutoff, stale, count = tonumber(ARGV[1]), {}, 0
local items = redis.call('HGETALL', KEYS[1])
for i = 1, #items, 2 do
  if string.sub(items[i], 1, 1) == 'i' then
    local value = items[i + 1]
    local colon = string.find(value, ':', 1, true)
    local used = colon and tonumber(string.sub(value, 1, colon - 1))
    if not used or used < cutoff then
      count = count + 1
      stale[#stale + 1] = items[i]
      if colon then stale[#stale + 1] = 's' .. string.sub(value, colon + 1) end
    end
  end
end
if ARGV[2] == '1' then
  for i = 1, #stale, 1000 do redis.call('HDEL', KEYS[1], unpack(stale, i, math.min(i + 999, #stale))) end
end
return count
`);
