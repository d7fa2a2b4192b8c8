// Lua scripts run by their SHA1, sent in full only when Redis does not have them cached.

import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

export interface LuaScript {
  readonly source: string;
  readonly sha: string;
}

export function luaScript(source: string): LuaScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * EVALSHA, and EVAL when the script is not cached yet, or gone after a Redis restart or SCRIPT
 * FLUSH (EVAL caches it again). `NOSCRIPT` is Redis' own error code for that reply, part of its
 * protocol, not a message's wording.
 */
export async function evalScript(redis: Redis, script: LuaScript, keys: readonly string[], args: readonly string[]): Promise<unknown> {
  try {
    return await redis.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return redis.eval(script.source, keys.length, ...keys, ...args);
  }
}
