// The detector's memory in Redis: what it has already notified (cursors, open alarms), and an
// outbox of messages decided but not yet handed to the delivery queue.
//
// A detector run reads the state, decides, and commits the new state together with its messages in
// one script, and only if nobody committed in between (a version number: two runs at once, on two
// hosts, cannot both notify the same thing). Then it adds one delivery job per message and webhook,
// with a job id made of the message's id and the webhook's, and empties the outbox. A run that dies
// after the commit leaves its messages in the outbox: the next run adds them again, and the job ids
// make that a no-op for any already added. So each message reaches the queue once.

import type { Redis } from 'ioredis';
import { evalScript, luaScript } from '../redis/lua-script.js';
import type { RedisKeys } from '../redis/redis-keys.js';
import { notificationSchema, type Notification } from './notify-events.js';

const COMMIT = luaScript(`
local current = redis.call('HGET', KEYS[1], 'version') or '0'
if current ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'version', tostring(tonumber(ARGV[1]) + 1), 'state', ARGV[2])
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
return 1
`);

export interface StoredState<S> {
  /** The commit count: what the next commit must name. */
  readonly version: number;
  /** Undefined before the first run. */
  readonly state: S | undefined;
}

export type NotifyKeys = Pick<RedisKeys, 'notifyState' | 'notifyOutbox'>;

export class NotifyStore<S> {
  readonly #redis: Redis;
  readonly #keys: NotifyKeys;

  constructor(redis: Redis, keys: NotifyKeys) {
    this.#redis = redis;
    this.#keys = keys;
  }

  async read(): Promise<StoredState<S>> {
    const [version, state] = await this.#redis.hmget(this.#keys.notifyState, 'version', 'state');
    // The caller validates the state's shape; text that is no JSON at all counts as none.
    return { version: version ? Number(version) : 0, state: state ? (safeJson(state) as S | undefined) : undefined };
  }

  /** The new state and its messages, if the state is still at `version`; false when another run got there first. */
  async commit(version: number, state: S, messages: readonly Notification[]): Promise<boolean> {
    const args = [String(version), JSON.stringify(state)];
    for (const message of messages) args.push(message.id, JSON.stringify(message));
    const done = await evalScript(this.#redis, COMMIT, [this.#keys.notifyState, this.#keys.notifyOutbox], args);
    return done === 1;
  }

  /** Messages committed and not yet queued; an unreadable one (written by hand, or another version) is dropped. */
  async outbox(): Promise<{ readonly messages: Notification[]; readonly unreadable: string[] }> {
    const raw = await this.#redis.hgetall(this.#keys.notifyOutbox);
    const messages: Notification[] = [];
    const unreadable: string[] = [];
    for (const [id, text] of Object.entries(raw)) {
      const parsed = notificationSchema.safeParse(safeJson(text));
      if (parsed.success) messages.push(parsed.data);
      else unreadable.push(id);
    }
    messages.sort((a, b) => a.at - b.at);
    return { messages, unreadable };
  }

  async removeFromOutbox(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.#redis.hdel(this.#keys.notifyOutbox, ...ids);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
