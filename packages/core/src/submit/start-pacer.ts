// submit.rateLimit as an even pace, shared by every worker on every host.
//
// Starts are spaced at least `(duration + allowance) / max` apart, so any window of `duration` holds
// at most `max` of them: the farm's limit holds over every window, not only over BullMQ's fixed
// ones, and the farm never gets `max` submits in one burst. A worker reserves the next free start
// time (one Lua script on Redis' clock, as hosts' clocks may differ) and waits for it; a start
// further ahead than `maxAheadMs` is not reserved, so no job holds a worker slot for long.
//
// The allowance is for what lies between a reserved start and the process running: Redis' reply,
// a timer, fork and exec, a few ms that vary from start to start. Spacing by `duration / max`
// exactly would let those few ms push `max + 1` process starts into one window; the allowance
// (25 ms a window, at most 5 % of it) keeps the limit true where the farm sees it.
// A start later than the allowance (a loaded machine's late timer) gives its slot up and takes a
// new one: late starts would otherwise bunch with the next ones and let max + 1 into a window.
//
// What comes after the spawn is measured, not assumed: on a loaded machine fork, exec and the wait
// for a core add 5-75 ms, after every timer was on time. So the pacer keeps a sliding log (a sorted
// set, `logKey`) of the window's starts: each reservation enters at its slot, and a worker whose
// process began more than half the allowance after its slot moves its entry to when it really began
// (`started`). A reservation is never earlier than `window + allowance / 2` after the `max`-th newest
// entry, so `max + 1` process starts fit in no window as long as what the log cannot see (the
// program's own start-up after exec) stays under half the allowance. The note of a late start must
// reach Redis before the reservation it could collide with, made up to `maxAheadMs` before a slot
// a window later: with the default (at most half the window) that holds for any start less than
// about half a window late (500 ms for a 1 s window; the measured lateness is 5-75 ms).

import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { evalScript, luaScript } from '../redis/lua-script.js';

// Times in microseconds: `duration / max` need not be a whole number of milliseconds.
// Sent by its SHA1: every submit start runs it, and the whole script is ~500 bytes a call.
// KEYS: the last reserved start, then (when kept) the log. ARGV: interval, max ahead, and for the log
// its window, the margin after it (half the allowance) and max.
const RESERVE = luaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval, ahead = tonumber(ARGV[1]), tonumber(ARGV[2])
local slot = now
local last = redis.call('GET', KEYS[1])
if last then slot = math.max(now, tonumber(last) + interval) end
local log = KEYS[2]
local window, margin, max
if log then
  window, margin, max = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
  redis.call('ZREMRANGEBYSCORE', log, '-inf', '(' .. string.format('%.0f', now - window - margin))
  redis.call('ZREMRANGEBYRANK', log, 0, -max - 1)
  local kth = redis.call('ZREVRANGE', log, max - 1, max - 1, 'WITHSCORES')
  if kth[2] then slot = math.max(slot, tonumber(kth[2]) + window + margin) end
end
if slot - now > ahead then return {0, slot - now - ahead, slot} end
local member = string.format('%.0f', slot)
redis.call('SET', KEYS[1], member, 'PX', math.ceil((slot - now + interval) / 1000) + 1000)
if log then
  redis.call('ZADD', log, member, member)
  redis.call('PEXPIRE', log, math.ceil((slot - now + window + margin) / 1000) + 1000)
end
return {1, slot - now, slot}
`);

// KEYS: the log. ARGV: the entry (its slot), when its process really began (µs, Redis' clock).
// Only ever later: an entry the window already dropped stays dropped.
const STARTED = luaScript(`
local at = redis.call('ZSCORE', KEYS[1], ARGV[1])
if at and tonumber(ARGV[2]) > tonumber(at) then redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1]) end
return 0
`);

export interface StartPacerOptions {
  readonly redis: Redis;
  /** The key of the last reserved start, under the deployment's hash tag. */
  readonly key: string;
  /**
   * The sliding log of the window's starts (a sorted set under the same hash tag), so starts that
   * began late (`started`) hold the next ones back. Without it, only the even spacing holds the limit.
   */
  readonly logKey?: string;
  /** Starts allowed in any window of `durationMs`. */
  readonly max: number;
  readonly durationMs: number;
  /** Reserve no start further ahead than this, in ms. @defaultValue min(1000, durationMs / 2) */
  readonly maxAheadMs?: number;
  /** Left unused in each window for start-up jitter. @defaultValue min(25, durationMs / 20) */
  readonly jitterAllowanceMs?: number;
}

/** The default jitter allowance for a window of `durationMs`. */
export function defaultJitterAllowanceMs(durationMs: number): number {
  return Math.min(25, durationMs / 20);
}

/** Start in `startInMs`; `slotUs` is the start on Redis' clock (µs since the epoch). */
export interface ReservedStart {
  readonly reserved: true;
  readonly startInMs: number;
  readonly slotUs: number;
  /** `performance.now()` that is surely no earlier than the slot (the request's send + the delay). */
  readonly slotAt: number;
  /** `performance.now()` from which the slot has surely come (the reply's arrival + the delay). */
  readonly startAt: number;
}

/** Late slots given up in a row before `waitForStart` starts anyway: a machine that late cannot pace. */
const MAX_LATE_SLOTS = 20;

export type StartReservation =
  | ReservedStart
  /** Nothing reserved: the next free start is further ahead than `maxAheadMs`; ask again in `retryInMs`. */
  | { readonly reserved: false; readonly retryInMs: number };

export class StartPacer {
  readonly #options: StartPacerOptions;
  readonly #intervalUs: number;
  readonly #allowanceMs: number;
  /** Half the allowance, in µs: what the log adds after the window, and how late a start may be before it says so. */
  readonly #marginUs: number;
  readonly #keys: readonly string[];
  /** The reserve script's ARGV: the same for every call. */
  readonly #reserveArgs: readonly string[];

  /** The spacing between starts, in µs. */
  get intervalUs(): number {
    return this.#intervalUs;
  }

  constructor(options: StartPacerOptions) {
    this.#options = options;
    const allowanceMs = options.jitterAllowanceMs ?? defaultJitterAllowanceMs(options.durationMs);
    this.#allowanceMs = allowanceMs;
    this.#marginUs = Math.round((allowanceMs * 1000) / 2);
    // Rounded up: a spacing a fraction of a µs too short would let max + 1 starts into a window.
    this.#intervalUs = Math.ceil(((options.durationMs + allowanceMs) * 1000) / options.max);
    const maxAheadMs = options.maxAheadMs ?? Math.min(1000, options.durationMs / 2);
    const { key, logKey, max, durationMs } = options;
    this.#keys = logKey === undefined ? [key] : [key, logKey];
    const pace = [String(this.#intervalUs), String(Math.round(maxAheadMs * 1000))];
    this.#reserveArgs = logKey === undefined ? pace : [...pace, String(durationMs * 1000), String(this.#marginUs), String(max)];
  }

  async reserve(): Promise<StartReservation> {
    const sentAt = performance.now();
    const [reserved, delayUs, slotUs] = (await evalScript(this.#options.redis, RESERVE, this.#keys, this.#reserveArgs)) as [
      number,
      number,
      number,
    ];
    const receivedAt = performance.now();
    return reserved === 1
      ? { reserved: true, startInMs: delayUs / 1000, slotUs, slotAt: sentAt + delayUs / 1000, startAt: receivedAt + delayUs / 1000 }
      : { reserved: false, retryInMs: Math.max(1, Math.ceil(delayUs / 1000)) };
  }

  /**
   * Call when the process of `start` began (`performance.now()` right after its spawn returned, i.e.
   * after exec). A start more than half the allowance after its slot moves its log entry to when it
   * began, so the starts a window later wait for it. Not awaited: it adds no wait to a submit, and a
   * lost update only loses that protection for one start.
   */
  started(start: ReservedStart, at: number): void {
    const { redis, logKey } = this.#options;
    const lateMs = at - start.slotAt;
    if (logKey === undefined || lateMs * 1000 <= this.#marginUs) return;
    const member = String(start.slotUs);
    const began = String(Math.ceil(start.slotUs + lateMs * 1000));
    evalScript(redis, STARTED, [logKey], [member, began]).catch(() => {});
  }

  /**
   * Resolves when the start may happen: call it right before the spawn. Starts are spaced
   * (duration + allowance) / max apart, so processes that each begin within `allowance` of their slot
   * keep every window at `max`. A spawn later than that (a late timer on a loaded machine, slow work between
   * reserve and spawn) would bunch with the next ones: its slot is given up and a new one reserved.
   * Resolves with the reservation the start took, for `started`.
   */
  async waitForStart(reservation: ReservedStart): Promise<ReservedStart> {
    let current = reservation;
    for (let late = 1; ; late++) {
      const wait = current.startAt - performance.now();
      if (wait >= 1) await sleep(wait);
      // Timers take whole ms and may wake a fraction early: the last part of the wait, as short as
      // it is, in turns of the event loop. A start never begins before its slot.
      while (performance.now() < current.startAt) await new Promise<void>((resolve) => setImmediate(resolve));
      // Too late once past the slot by more than the allowance (the slot measured from the request's send).
      if (performance.now() <= current.slotAt + this.#allowanceMs || late >= MAX_LATE_SLOTS) return current;
      this.#giveUp(current);
      for (;;) {
        const next = await this.reserve();
        if (next.reserved) {
          current = next;
          break;
        }
        await sleep(next.retryInMs);
      }
    }
  }

  /**
   * The two calls a spawner makes for `start`: wait for it right before the spawn, then say when the
   * process began (the start it took, which may be a later one than `start`, is remembered here).
   */
  startGate(start: ReservedStart): { waitForStart(): Promise<void>; onSpawned(at: number): void } {
    let taken = start;
    return {
      waitForStart: async () => {
        taken = await this.waitForStart(start);
      },
      onSpawned: (at) => this.started(taken, at),
    };
  }

  /** A slot given up is no start: out of the log, so it holds nobody back (not awaited, like `started`). */
  #giveUp(start: ReservedStart): void {
    const { redis, logKey } = this.#options;
    if (logKey !== undefined) redis.zrem(logKey, String(start.slotUs)).catch(() => {});
  }
}
