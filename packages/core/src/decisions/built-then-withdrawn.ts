// Releases withdrawn upstream (yanked, removed, quarantined) after pypi-watch had submitted them:
// the farm may hold an RPM of something PyPI no longer offers, so `report` lists them for operators.

import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis/redis-keys.js';
import type { WithdrawalReason } from '../sources/release-source.js';

export interface BuiltThenWithdrawnEntry {
  /** When the withdrawal was seen (ms). */
  readonly at: number;
  readonly normalized: string;
  /** Absent when the whole project went. */
  readonly version?: string;
  readonly reason: WithdrawalReason;
}

/** Newest entries kept: a year of PyPI's yanks of built releases is far below this. */
const KEEP = 10_000;

export class BuiltThenWithdrawn {
  readonly #redis: Redis;
  readonly #key: string;

  constructor(redis: Redis, keys: Pick<RedisKeys, 'withdrawnAfterSubmit'>) {
    this.#redis = redis;
    this.#key = keys.withdrawnAfterSubmit;
  }

  async record(entries: readonly BuiltThenWithdrawnEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.#redis
      .multi()
      .rpush(this.#key, ...entries.map((entry) => JSON.stringify(entry)))
      .ltrim(this.#key, -KEEP, -1)
      .exec();
  }

  /** Entries seen at or after `sinceMs`, oldest first. */
  async since(sinceMs: number): Promise<BuiltThenWithdrawnEntry[]> {
    const raw = await this.#redis.lrange(this.#key, 0, -1);
    const entries: BuiltThenWithdrawnEntry[] = [];
    for (const text of raw) {
      try {
        const entry = JSON.parse(text) as BuiltThenWithdrawnEntry;
        if (typeof entry.at === 'number' && entry.at >= sinceMs) entries.push(entry);
      } catch {
        // an unreadable entry is skipped, not fatal to the report
      }
    }
    return entries;
  }
}
