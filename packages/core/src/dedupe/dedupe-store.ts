// Which releases were already handled, in Redis: sharded small hashes, expiring after a TTL.

import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ConfigError } from '../errors.js';
import { callsInFlight } from '../redis/calls-in-flight.js';
import { evalScript, luaScript, type LuaScript } from '../redis/lua-script.js';
import type { RedisKeys } from '../redis/redis-keys.js';

export interface DedupeStoreOptions {
  /** Connection for pypi-watch's own keys. */
  readonly redis: Redis;
  /** The shard hashes' keys; all under one hash tag, so they share one Redis Cluster slot. */
  readonly keys: Pick<RedisKeys, 'dedupeShard'>;
  /** How long a release counts as seen after it was marked (ms). */
  readonly ttlMs: number;
  /** Clock. @defaultValue Date.now (ms) */
  readonly now?: () => number;
  /**
   * Number of shard hashes. Enough that each stays under Redis' listpack limit (128 fields by default)
   * at a million entries, which keeps them compact. Changing it hides existing entries. @defaultValue 16384
   */
  readonly shardCount?: number;
}

/** The dedupe key of a release: normalized project name, `==`, version as PyPI lists it. */
export function releaseKey(normalizedName: string, version: string): string {
  return `${normalizedName}==${version}`;
}

// Keys per script call: one round trip each, and a few milliseconds of Redis time, so no long block.
const KEYS_PER_CALL = 10_000;
// Shards per script call when walking all of them (each holds ~60 entries at a million).
const SHARDS_PER_CALL = 512;
// Redis' hash-max-listpack-value default: one longer field would turn its whole shard into a hashtable.
const MAX_PLAIN_FIELD_BYTES = 64;

// Lua scripts rather than pipelined commands: a 100,000-key call touches ~16,000 shards, and the client's
// per-command cost for that many commands dominated (2-3 s vs ~0.4 s). Every shard goes in KEYS, as
// Redis Cluster requires; they share one hash tag, hence one slot.

// Lookup and mark take one shard per KEYS entry and, in ARGV, each shard's field count followed by
// its fields, so Redis runs one HMGET/HSET per shard rather than one per release.

/** Returns every field's seen-seconds (nil if absent), in ARGV order. */
const LOOKUP_SCRIPT = luaScript(`
local seen, at = {}, 1
for k = 1, #KEYS do
  local count = tonumber(ARGV[at])
  -- unpack() is limited by Lua's C stack, hence slices of 1000.
  for first = 1, count, 1000 do
    local last = math.min(first + 999, count)
    local values = redis.call('HMGET', KEYS[k], unpack(ARGV, at + first, at + last))
    for i = 1, last - first + 1 do seen[#seen + 1] = values[i] end
  end
  at = at + count + 1
end
return seen
`);

/** ARGV[1] is the seen-seconds to store; the shard groups follow from ARGV[2]. */
const MARK_SCRIPT = luaScript(`
local at = 2
for k = 1, #KEYS do
  local count = tonumber(ARGV[at])
  for first = 1, count, 1000 do
    local fields = {}
    for i = first, math.min(first + 999, count) do
      fields[#fields + 1] = ARGV[at + i]
      fields[#fields + 1] = ARGV[1]
    end
    redis.call('HSET', KEYS[k], unpack(fields))
  end
  at = at + count + 1
end
return #KEYS
`);

/** Total fields across the shards in KEYS. */
const SIZE_SCRIPT = luaScript(`
local total = 0
for i = 1, #KEYS do total = total + redis.call('HLEN', KEYS[i]) end
return total
`);

/** Counts, and with ARGV[2] = '1' deletes, fields seen at or before ARGV[1] (unix s) in the shards in KEYS. */
const TRIM_SCRIPT = luaScript(`
local cutoff = tonumber(ARGV[1])
local total = 0
for k = 1, #KEYS do
  local entries = redis.call('HGETALL', KEYS[k])
  local expired = {}
  for i = 1, #entries, 2 do
    local seen = tonumber(entries[i + 1])
    if seen == nil or seen <= cutoff then expired[#expired + 1] = entries[i] end
  end
  if ARGV[2] == '1' then
    for i = 1, #expired, 1000 do
      redis.call('HDEL', KEYS[k], unpack(expired, i, math.min(i + 999, #expired)))
    end
  end
  total = total + #expired
end
return total
`);

/** One script call's worth: shard key names, and the matching releases in ARGV layout. */
interface ShardBatch {
  readonly shards: string[];
  /** Releases in the order their fields appear in `args`. */
  readonly keys: string[];
  /** Per shard: the field count, then the fields. */
  readonly args: string[];
}

export class DedupeStore {
  readonly #redis: Redis;
  readonly #shardKey: RedisKeys['dedupeShard'];
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #shardCount: number;

  constructor(options: DedupeStoreOptions) {
    if (!Number.isSafeInteger(options.ttlMs) || options.ttlMs <= 0) {
      throw new ConfigError(`Expected \`ttlMs\` to be a positive integer (ms), got \`${options.ttlMs}\``);
    }
    const shardCount = options.shardCount ?? 16_384;
    if (!Number.isSafeInteger(shardCount) || shardCount < 1 || shardCount > 1_048_576) {
      throw new ConfigError(`Expected \`shardCount\` to be an integer from 1 to 1048576, got \`${shardCount}\``);
    }
    this.#redis = options.redis;
    this.#shardKey = options.keys.dedupeShard;
    this.#ttlMs = options.ttlMs;
    this.#now = options.now ?? Date.now;
    this.#shardCount = shardCount;
  }

  /** The keys (deduplicated) that were never marked, or whose mark has expired, trimmed or not. */
  async filterUnseen(keys: readonly string[]): Promise<Set<string>> {
    const unseen = new Set<string>();
    const nowMs = this.#now();
    const batches = [...this.#batches(keys)];
    const replies = await callsInFlight(batches.length, (index) => this.#eval(LOOKUP_SCRIPT, batches[index]!.shards, batches[index]!.args));
    batches.forEach((batch, index) => {
      const seen = replies[index] as (string | null)[];
      batch.keys.forEach((key, at) => {
        const seenSeconds = seen[at];
        if (seenSeconds === null || seenSeconds === undefined || this.#isExpired(Number(seenSeconds), nowMs)) unseen.add(key);
      });
    });
    return unseen;
  }

  /** Marks the keys seen now (a repeat mark restarts the TTL). */
  async markSeen(keys: readonly string[]): Promise<void> {
    const seenSeconds = String(Math.floor(this.#now() / 1000));
    const batches = [...this.#batches(keys)];
    await callsInFlight(batches.length, (index) => this.#eval(MARK_SCRIPT, batches[index]!.shards, [seenSeconds, ...batches[index]!.args]));
  }

  /** When the key was marked (ms, to the second), or undefined if never or if trimmed. */
  async describe(key: string): Promise<number | undefined> {
    const seenSeconds = await this.#redis.hget(this.#shardOf(key), fieldFor(key));
    return seenSeconds === null ? undefined : Number(seenSeconds) * 1000;
  }

  /** Entries stored, including expired ones not yet trimmed. */
  async size(): Promise<number> {
    // All in flight at once: Redis runs the calls one after another all the same, but the client waits
    // for about one round trip instead of 32 (16384 shards), and no call holds Redis longer than before.
    const chunks = [...chunksOf(this.#allShards(), SHARDS_PER_CALL)];
    const counts = await callsInFlight(chunks.length, (index) => this.#eval(SIZE_SCRIPT, chunks[index]!, []), chunks.length);
    return counts.reduce<number>((total, count) => total + Number(count), 0);
  }

  /** Deletes expired entries; returns how many. */
  trimExpired(): Promise<number> {
    return this.#scanExpired(true);
  }

  /** How many entries trimExpired would delete now. */
  countExpired(): Promise<number> {
    return this.#scanExpired(false);
  }

  async #scanExpired(remove: boolean): Promise<number> {
    const cutoffSeconds = String(Math.floor((this.#now() - this.#ttlMs) / 1000));
    let total = 0;
    for (const shards of chunksOf(this.#allShards(), SHARDS_PER_CALL)) {
      total += Number(await this.#eval(TRIM_SCRIPT, shards, [cutoffSeconds, remove ? '1' : '0']));
    }
    return total;
  }

  #eval(script: LuaScript, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    return evalScript(this.#redis, script, keys, args);
  }

  #isExpired(seenSeconds: number, nowMs: number): boolean {
    return !Number.isFinite(seenSeconds) || seenSeconds * 1000 + this.#ttlMs <= nowMs;
  }

  #shardOf(key: string): string {
    return this.#shardKey(fnv1a(key) % this.#shardCount);
  }

  /** Deduplicated keys grouped by shard, in script-call batches of about KEYS_PER_CALL keys. */
  *#batches(keys: readonly string[]): Generator<ShardBatch> {
    const groups = new Map<number, string[]>();
    for (const key of new Set(keys)) {
      const shard = fnv1a(key) % this.#shardCount;
      const members = groups.get(shard);
      if (members) members.push(key);
      else groups.set(shard, [key]);
    }
    let batch: ShardBatch = { shards: [], keys: [], args: [] };
    for (const [shard, members] of groups) {
      batch.shards.push(this.#shardKey(shard));
      batch.args.push(String(members.length), ...members.map(fieldFor));
      batch.keys.push(...members);
      if (batch.keys.length >= KEYS_PER_CALL) {
        yield batch;
        batch = { shards: [], keys: [], args: [] };
      }
    }
    if (batch.keys.length > 0) yield batch;
  }

  #allShards(): string[] {
    return Array.from({ length: this.#shardCount }, (_, shard) => this.#shardKey(shard));
  }
}

/** The hash field for a key: the key itself, or a fixed-length digest when it is too long for a compact listpack. */
function fieldFor(key: string): string {
  if (Buffer.byteLength(key) <= MAX_PLAIN_FIELD_BYTES) return key;
  // Real keys never start with '#' (names start with a letter or digit), so the two forms cannot collide.
  return `#${createHash('sha256').update(key).digest('base64url')}`;
}

/** 32-bit FNV-1a over UTF-16 code units: stable across processes and versions, which the shard layout relies on. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function* chunksOf<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let start = 0; start < items.length; start += size) yield items.slice(start, start + size);
}
