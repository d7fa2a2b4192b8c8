// Releases the poll has seen but not queued yet, in Redis so they survive restarts: waiting for an
// sdist, held for the cool-down, or withdrawn before their build (so an unyank can restore them).

import type { Redis } from 'ioredis';
import { callsInFlight } from '../redis/calls-in-flight.js';
import { evalScript, luaScript } from '../redis/lua-script.js';
import type { RedisKeys } from '../redis/redis-keys.js';
import type { WithdrawalReason } from '../sources/release-source.js';

export type GateState = 'waiting' | 'held' | 'withdrawn';
export const GATE_STATES: readonly GateState[] = ['waiting', 'held', 'withdrawn'];

export interface GateEntry {
  readonly state: GateState;
  /** The project name as PyPI spells it (for the update list and `repo_addr`). */
  readonly name: string;
  readonly normalized: string;
  readonly version: string;
  readonly isPrerelease: boolean;
  /** When the release appeared on PyPI (ms): what `filters.sdistWait` and `filters.minAge` count from. */
  readonly since: number;
  /** An sdist is known to be on PyPI. */
  readonly hasSdist: boolean;
  /** The newest changelog serial about this release: a JSON page reflecting less is stale. */
  readonly serial?: number;
  /** JSON API checks made so far (re-checks back off by doubling). */
  readonly checks: number;
  /** For `withdrawn`: why. */
  readonly reason?: WithdrawalReason;
}

export type GateKeys = Pick<RedisKeys, 'gate' | 'gateDue'>;

const CHUNK = 1000;
/** Keys per remove call: one round trip, a few ms of Redis time. */
const REMOVE_CHUNK = 5000;

/**
 * Deletes the entries in ARGV from the hash KEYS[1] and the due sets KEYS[2..]: each key is sent once,
 * not once per command (a poll removes every release it queued, ~100,000 at a time).
 */
const REMOVE_SCRIPT = luaScript(`
-- unpack() is limited by Lua's C stack, hence slices of 1000.
for first = 1, #ARGV, 1000 do
  local last = math.min(first + 999, #ARGV)
  redis.call('HDEL', KEYS[1], unpack(ARGV, first, last))
  for k = 2, #KEYS do redis.call('ZREM', KEYS[k], unpack(ARGV, first, last)) end
end
return #ARGV
`);

export class GateStore {
  readonly #redis: Redis;
  readonly #keys: GateKeys;

  constructor(redis: Redis, keys: GateKeys) {
    this.#redis = redis;
    this.#keys = keys;
  }

  /** Entries by key (`NAME==VERSION`); absent keys are missing from the map. Unreadable entries count as absent. */
  async getMany(keys: readonly string[]): Promise<Map<string, GateEntry>> {
    const found = new Map<string, GateEntry>();
    const unique = [...new Set(keys)];
    const replies = await Promise.all(
      chunks(unique).map((chunk) => this.#redis.hmget(this.#keys.gate, ...chunk).then((values) => ({ chunk, values }))),
    );
    for (const { chunk, values } of replies) {
      values.forEach((raw, index) => {
        const entry = raw === null ? undefined : parseEntry(raw);
        if (entry) found.set(chunk[index]!, entry);
      });
    }
    return found;
  }

  /** Stores each entry and when it next needs a look (ms); an entry moves between states in one call. */
  async put(items: ReadonlyArray<{ readonly key: string; readonly entry: GateEntry; readonly dueAt: number }>): Promise<void> {
    // Chunks in flight run in the order sent, so a key given twice ends as its last item says.
    const parts = chunks(items);
    await callsInFlight(parts.length, (index) => {
      const chunk = parts[index]!;
      const pipeline = this.#redis.pipeline();
      pipeline.hset(this.#keys.gate, ...chunk.flatMap(({ key, entry }) => [key, JSON.stringify(entry)]));
      for (const state of GATE_STATES) {
        const inState = chunk.filter(({ entry }) => entry.state === state);
        const others = chunk.filter(({ entry }) => entry.state !== state).map(({ key }) => key);
        if (inState.length > 0) pipeline.zadd(this.#keys.gateDue[state], ...inState.flatMap(({ key, dueAt }) => [dueAt, key]));
        if (others.length > 0) pipeline.zrem(this.#keys.gateDue[state], ...others);
      }
      return execOrThrow(pipeline);
    });
  }

  async remove(keys: readonly string[]): Promise<void> {
    const unique = [...new Set(keys)];
    const scriptKeys = [this.#keys.gate, ...GATE_STATES.map((state) => this.#keys.gateDue[state])];
    await callsInFlight(Math.ceil(unique.length / REMOVE_CHUNK), (index) =>
      evalScript(this.#redis, REMOVE_SCRIPT, scriptKeys, unique.slice(index * REMOVE_CHUNK, (index + 1) * REMOVE_CHUNK)),
    );
  }

  /**
   * Up to `limit` keys per state whose next look is due at `nowMs`, with their entries. With
   * `allWaiting`, every waiting entry counts as due (the sdist gate was switched off).
   */
  async due(nowMs: number, limit: number, { allWaiting = false } = {}): Promise<Map<string, GateEntry>> {
    const until = (state: GateState): number | string => (allWaiting && state === 'waiting' ? '+inf' : nowMs);
    const keys = await Promise.all(
      GATE_STATES.map((state) => this.#redis.zrangebyscore(this.#keys.gateDue[state], '-inf', until(state), 'LIMIT', 0, limit)),
    );
    const all = keys.flat();
    const entries = await this.getMany(all);
    // A due key whose entry is gone or unreadable would be due forever.
    const orphans = all.filter((key) => !entries.has(key));
    if (orphans.length > 0) await this.remove(orphans);
    return entries;
  }

  /** Every entry of one project (a project-wide withdrawal or restore); rare, so a scan is fine. */
  async forProject(normalized: string): Promise<Map<string, GateEntry>> {
    const found = new Map<string, GateEntry>();
    let cursor = '0';
    do {
      // Normalized names are [a-z0-9-]: nothing in them is a glob character.
      const [next, flat] = await this.#redis.hscan(this.#keys.gate, cursor, 'MATCH', `${normalized}==*`, 'COUNT', 1000);
      cursor = next;
      for (let index = 0; index + 1 < flat.length; index += 2) {
        const entry = parseEntry(flat[index + 1]!);
        if (entry && entry.normalized === normalized) found.set(flat[index]!, entry);
      }
    } while (cursor !== '0');
    return found;
  }

  /** How many entries are in each state. */
  async counts(): Promise<Record<GateState, number>> {
    const pipeline = this.#redis.pipeline();
    for (const state of GATE_STATES) pipeline.zcard(this.#keys.gateDue[state]);
    const replies = await execOrThrow(pipeline);
    return Object.fromEntries(GATE_STATES.map((state, index) => [state, Number(replies[index] ?? 0)])) as Record<GateState, number>;
  }
}

function parseEntry(raw: string): GateEntry | undefined {
  try {
    const entry = JSON.parse(raw) as GateEntry;
    return typeof entry === 'object' && entry !== null && GATE_STATES.includes(entry.state) ? entry : undefined;
  } catch {
    return undefined;
  }
}

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += CHUNK) out.push(items.slice(start, start + CHUNK));
  return out;
}

async function execOrThrow(pipeline: ReturnType<Redis['pipeline']>): Promise<unknown[]> {
  const replies = (await pipeline.exec()) ?? [];
  const failed = replies.find(([error]) => error);
  if (failed?.[0]) throw failed[0];
  return replies.map(([, value]) => value);
}
