// The four stores `status` reads, built here for createStores and for `status` alike. A read-only
// command builds only these: the rest (decision log, metrics, results, ...) is ~30 ms of modules to load.

import type { Redis } from 'ioredis';
import type { Config } from '../config/load-config.js';
import { DedupeStore } from '../dedupe/dedupe-store.js';
import { GateStore } from '../gate/gate-store.js';
import { redisKeys, type RedisKeys } from '../redis/redis-keys.js';
import { StartPacer } from '../submit/start-pacer.js';

export interface StatusStores {
  /** The key names, for the few readers that go to Redis directly (`status`). */
  readonly keys: RedisKeys;
  /** Releases already handled, for `dedupe.ttl`. */
  readonly dedupe: DedupeStore;
  /** Releases waiting for an sdist, held by `filters.minAge`, or withdrawn before a build. */
  readonly gate: GateStore;
  /** `submit.rateLimit` as an even pace of submit starts, shared by every worker. */
  readonly submitPacer: StartPacer;
}

export function createStatusStores(config: Config, redis: Redis): StatusStores {
  const keys = redisKeys(config.redis.prefix);
  return {
    keys,
    dedupe: new DedupeStore({ redis, keys, ttlMs: config.dedupe.ttl }),
    gate: new GateStore(redis, keys),
    submitPacer: new StartPacer({
      redis,
      key: keys.submitNextStart,
      logKey: keys.submitStartLog,
      max: config.submit.rateLimit.max,
      durationMs: config.submit.rateLimit.duration,
    }),
  };
}
