// The poller's state in Redis: the source cursor and the last poll's result.

import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis/redis-keys.js';
import type { SourceType } from '../sources/release-source.js';
import type { PollResult } from './run-poll.js';

interface StoredCursor {
  readonly type: SourceType;
  readonly cursor: unknown;
}

export class PollState {
  readonly #redis: Redis;
  readonly #keys: Pick<RedisKeys, 'cursor' | 'lastPoll' | 'pollLock'>;

  constructor(redis: Redis, keys: Pick<RedisKeys, 'cursor' | 'lastPoll' | 'pollLock'>) {
    this.#redis = redis;
    this.#keys = keys;
  }

  get lockKey(): string {
    return this.#keys.pollLock;
  }

  /** The cursor of this source type; a cursor of the other type (source.type changed) counts as none. */
  async readCursor(type: StoredCursor['type']): Promise<unknown> {
    const raw = await this.#redis.get(this.#keys.cursor);
    if (raw === null) return undefined;
    try {
      const stored = JSON.parse(raw) as StoredCursor;
      return stored.type === type ? stored.cursor : undefined;
    } catch {
      return undefined;
    }
  }

  async writeCursor(type: StoredCursor['type'], cursor: unknown): Promise<void> {
    const stored: StoredCursor = { type, cursor };
    await this.#redis.set(this.#keys.cursor, JSON.stringify(stored));
  }

  async writeLastPoll(result: PollResult): Promise<void> {
    await this.#redis.set(this.#keys.lastPoll, JSON.stringify(result));
  }

  async readLastPoll(): Promise<PollResult | undefined> {
    const raw = await this.#redis.get(this.#keys.lastPoll);
    return raw === null ? undefined : (JSON.parse(raw) as PollResult);
  }
}
