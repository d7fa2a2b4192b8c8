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

import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { evalScript, luaScript } from '../redis/lua-script.js';

// Times in microseconds: `duration / max` need not be a whole number of milliseconds.
// Sent by its SHA1: every submit start runs it, and the whole script is ~500 bytes a call.
const RESERVE = luaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval, ahead = tonumber(ARGV[1]), tonumber(ARGV[2])
local slot = now
local last = redis.call('GET', KEYS[1])
if last then slot = math.max(now, tonumber(last) + interval) end
if slot - now > ahead then return {0, slot - now - ahead, slot} end
redis.call('SET', KEYS[1], string.format('%.0f', slot), 'PX', math.ceil((slot - now + interval) / 1000) + 1000)
return {1, slot - now, slot}
`);

export interface StartPacerOptions {
  readonly redis: Redis;
  /** The key of the last reserved start, under the deployment's hash tag. */
  readonly key: string;
  /** Starts allowed in any window of `durationMs`. */
  readonly max: number;
  readonly durationMs: number;
  /** Reserve no start further ahead than this. @defaultValue 1000 */
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
  /** `performance.now()` from which the slot has surely come (the reply's arrival + the delay). */
  readonly startAt: number;
  /** `performance.now()` after which the start is too late (the request's send + delay + the allowance). */
  readonly latestStartAt: number;
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

  /** The spacing between starts, in µs. */
  get intervalUs(): number {
    return this.#intervalUs;
  }

  constructor(options: StartPacerOptions) {
    this.#options = options;
    const allowanceMs = options.jitterAllowanceMs ?? defaultJitterAllowanceMs(options.durationMs);
    this.#allowanceMs = allowanceMs;
    // Rounded up: a spacing a fraction of a µs too short would let max + 1 starts into a window.
    this.#intervalUs = Math.ceil(((options.durationMs + allowanceMs) * 1000) / options.max);
  }

  async reserve(): Promise<StartReservation> {
    const { redis, key, maxAheadMs = 1000 } = this.#options;
    const sentAt = performance.now();
    const [reserved, delayUs, slotUs] = (await evalScript(
      redis,
      RESERVE,
      [key],
      [String(this.#intervalUs), String(maxAheadMs * 1000)],
    )) as [number, number, number];
    const receivedAt = performance.now();
    return reserved === 1
      ? {
          reserved: true,
          startInMs: delayUs / 1000,
          slotUs,
          startAt: receivedAt + delayUs / 1000,
          latestStartAt: sentAt + delayUs / 1000 + this.#allowanceMs,
        }
      : { reserved: false, retryInMs: Math.max(1, Math.ceil(delayUs / 1000)) };
  }

  /**
   * Resolves when the start may happen: call it right before the spawn. Starts are spaced
   * (duration + allowance) / max apart, so processes that each begin within `allowance` of their slot
   * keep every window at `max`. A spawn later than that (a late timer on a loaded machine, slow work between
   * reserve and spawn) would bunch with the next ones: its slot is given up and a new one reserved.
   */
  async waitForStart(reservation: ReservedStart): Promise<void> {
    let current = reservation;
    for (let late = 0; late < MAX_LATE_SLOTS; late++) {
      const wait = current.startAt - performance.now();
      if (wait >= 1) await sleep(wait);
      if (performance.now() <= current.latestStartAt) return;
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
}
