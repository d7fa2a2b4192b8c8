// Counter increments on several hashes, with each hash's expiry, sent as one script call.
//
// A submit's metrics touch four hashes (the counters, the duration histogram, a minute and an hour
// bucket): eight commands in a pipeline cost a worker more of its own time, in building and encoding
// commands and parsing replies, than the one script call that does the same on Redis (bench/README).

import type { Redis } from 'ioredis';
import { evalScript, luaScript } from './lua-script.js';

// ARGV per key, in KEYS order: its number of increments, its PEXPIREAT time in ms ('' for none),
// then per increment `i` (HINCRBY) or `f` (HINCRBYFLOAT), the field and the amount.
const INCREMENT = luaScript(`
local a = 1
for _, key in ipairs(KEYS) do
  local n, at = tonumber(ARGV[a]), ARGV[a + 1]
  a = a + 2
  for _ = 1, n do
    if ARGV[a] == 'f' then
      redis.call('HINCRBYFLOAT', key, ARGV[a + 1], ARGV[a + 2])
    else
      redis.call('HINCRBY', key, ARGV[a + 1], ARGV[a + 2])
    end
    a = a + 3
  end
  if at ~= '' then redis.call('PEXPIREAT', key, at) end
end
return 0
`);

/** What time-series.ts writes a bucket with: a pipeline has the same two methods. */
export interface HashCounterWriter {
  hincrby(key: string, field: string, increment: number): unknown;
  pexpireat(key: string, unixTimeMs: number): unknown;
}

interface HashChange {
  readonly increments: string[];
  count: number;
  expireAtMs?: number;
}

/** Collects increments (every key under one hash tag: it is one script call), then `send`s them at once. */
export class HashIncrements implements HashCounterWriter {
  readonly #changes = new Map<string, HashChange>();

  hincrby(key: string, field: string, increment: number): this {
    return this.#add(key, 'i', field, String(increment));
  }

  hincrbyfloat(key: string, field: string, increment: number): this {
    return this.#add(key, 'f', field, String(increment));
  }

  /** The hash expires at this time (ms since the epoch); the last call for a key wins. */
  pexpireat(key: string, unixTimeMs: number): this {
    this.#change(key).expireAtMs = unixTimeMs;
    return this;
  }

  async send(redis: Redis): Promise<void> {
    if (this.#changes.size === 0) return;
    const keys: string[] = [];
    const args: string[] = [];
    for (const [key, change] of this.#changes) {
      keys.push(key);
      args.push(String(change.count), change.expireAtMs === undefined ? '' : String(change.expireAtMs), ...change.increments);
    }
    await evalScript(redis, INCREMENT, keys, args);
  }

  #add(key: string, kind: 'i' | 'f', field: string, amount: string): this {
    const change = this.#change(key);
    change.increments.push(kind, field, amount);
    change.count += 1;
    return this;
  }

  #change(key: string): HashChange {
    let change = this.#changes.get(key);
    if (change === undefined) {
      change = { increments: [], count: 0 };
      this.#changes.set(key, change);
    }
    return change;
  }
}
