// BullMQ's queue state read straight from Redis, for the processes that only look: `status` answers
// without loading BullMQ (~100 ms of its 250 CommonJS files at every start, measured on Node 20).
//
// It knows no more of BullMQ than it must, and writes only what BullMQ's own read writes:
// - counts run BullMQ's own `getCounts` script, loaded from its package alone, with the arguments its
//   Redis backend passes, so every state means what it means to BullMQ (the script also drops a
//   marker left in `wait` by BullMQ 4, as BullMQ's getJobCounts does);
// - schedulers are its `repeat` sorted set (id → next run) and one hash per id (`repeat:<id>`).
// test/queue-state-reader.test.ts holds both against BullMQ's own Queue methods on the same queues,
// so an upgrade that moves either fails there, not silently in `status`.

import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';
import { evalScript, luaScript, type LuaScript } from '../redis/lua-script.js';
import { bullPrefix } from '../redis/redis-keys.js';
import type { QueueName } from './queue-names.js';

/** The job states BullMQ counts (its `JobType`s). */
export type CountedState = 'waiting' | 'active' | 'delayed' | 'prioritized' | 'waiting-children' | 'failed' | 'completed';

export interface SchedulerInfo {
  readonly id: string;
  /** `every` of an interval scheduler (ms); undefined for a cron pattern. */
  readonly everyMs: number | undefined;
  /** When its next job is due (ms since the epoch). */
  readonly next: number | undefined;
}

interface BullScript {
  readonly name: string;
  readonly content: string;
  readonly keys: number;
}

/** Schedulers read per queue: pypi-watch registers one each; a planted million must not make a read slow. */
const SCHEDULERS_READ = 100;

let getCounts: LuaScript | undefined;

/** BullMQ's script file holds only the Lua text: loading it loads none of BullMQ. */
function getCountsScript(): LuaScript {
  if (getCounts === undefined) {
    const module = createRequire(import.meta.url)('bullmq/dist/cjs/scripts/getCounts-1.js') as { getCounts: BullScript };
    getCounts = luaScript(module.getCounts.content);
  }
  return getCounts;
}

export class QueueStateReader {
  readonly #redis: Redis;
  readonly #base: string;

  /** `redisPrefix` is `redis.prefix` from config: queues live under BullMQ's prefix `{<redis.prefix>}`. */
  constructor(redis: Redis, redisPrefix: string) {
    this.#redis = redis;
    this.#base = bullPrefix(redisPrefix);
  }

  /** The key BullMQ's `queue.toKey(what)` names; `''` gives a job's key less its id. */
  key(queue: QueueName, what: string): string {
    return `${this.#base}:${queue}:${what}`;
  }

  /** What `queue.getJobCounts(...states)` answers, from one script call. */
  async jobCounts<S extends CountedState>(queue: QueueName, states: readonly S[]): Promise<Record<S, number>> {
    // BullMQ's Redis backend passes 'waiting' as the list it is kept in, 'wait'.
    const args = states.map((state) => (state === 'waiting' ? 'wait' : state));
    const replies = await evalScript(this.#redis, getCountsScript(), [this.key(queue, '')], args);
    const counts = Array.isArray(replies) ? replies : [];
    return Object.fromEntries(states.map((state, index) => [state, Number(counts[index]) || 0])) as Record<S, number>;
  }

  /**
   * The job schedulers of a queue in the order `queue.getJobSchedulers()` lists them (due latest first),
   * at most 100. An id whose hash is gone is left out; BullMQ's own read also deletes it, which a reader
   * does not.
   */
  async schedulers(queue: QueueName): Promise<SchedulerInfo[]> {
    const flat = await this.#redis.zrevrange(this.key(queue, 'repeat'), 0, SCHEDULERS_READ - 1, 'WITHSCORES');
    const entries: Array<{ id: string; next: number }> = [];
    for (let index = 0; index + 1 < flat.length; index += 2) entries.push({ id: flat[index]!, next: parseInt(flat[index + 1]!, 10) });
    if (entries.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const { id } of entries) {
      const hash = this.key(queue, `repeat:${id}`);
      pipeline.exists(hash).hget(hash, 'every');
    }
    const replies = (await pipeline.exec()) ?? [];
    const failed = replies.find(([error]) => error !== null)?.[0];
    if (failed) throw failed;
    const result: SchedulerInfo[] = [];
    entries.forEach(({ id, next }, index) => {
      const exists = replies[2 * index]?.[1];
      const every = replies[2 * index + 1]?.[1];
      if (exists !== 1) return;
      const everyMs = typeof every === 'string' ? parseInt(every, 10) : Number.NaN;
      result.push({ id, everyMs: Number.isFinite(everyMs) ? everyMs : undefined, next: Number.isFinite(next) ? next : undefined });
    });
    return result;
  }
}
