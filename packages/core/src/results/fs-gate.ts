// Bounds how many threadpool threads the result reader may hold, and how long it waits for each call.

import { UnreadableResultError } from '../errors.js';

export interface FsGateOptions {
  /**
   * Filesystem calls in flight at once. libuv runs every fs call on one shared pool (4 threads
   * unless UV_THREADPOOL_SIZE says otherwise); a call stuck on a hung mount holds its thread until
   * the kernel lets go, so this must stay below the pool size or submit work queues behind it.
   * @defaultValue 2
   */
  readonly maxInFlight?: number;
  /** Each call (including its wait for a slot) fails with reason `timeout` after this long (ms). @defaultValue 10000 */
  readonly timeoutMs?: number;
}

/**
 * A slot is given back when the call really settles, not when the caller stops waiting: a timed-out
 * call may still hold its thread, and counting it as free would let a hung mount take the whole pool.
 */
export class FsGate {
  readonly timeoutMs: number;
  readonly #max: number;
  #inFlight = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(options: FsGateOptions = {}) {
    this.#max = options.maxInFlight ?? 2;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    if (!Number.isInteger(this.#max) || this.#max < 1)
      throw new RangeError(`Expected \`maxInFlight\` to be a positive integer, got \`${this.#max}\``);
  }

  /**
   * Runs `call` in a slot, failing after `timeoutMs`. `onLate` receives a value that arrives after
   * the caller gave up (a file handle to close, say), so nothing leaks.
   */
  run<T>(call: () => Promise<T>, file?: string, onLate?: (value: T) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        reject(new UnreadableResultError('timeout', file));
      }, this.timeoutMs);
      timer.unref();
      const start = (): void => {
        // Timed out while waiting for a slot: never started, so it takes none.
        if (settled) return;
        this.#inFlight++;
        let pending: Promise<T>;
        try {
          pending = call();
        } catch (error) {
          pending = Promise.reject(error instanceof Error ? error : new Error(String(error)));
        }
        pending.then(
          (value) => {
            this.#release();
            if (settled) onLate?.(value);
            else finish(() => resolve(value));
          },
          (error: unknown) => {
            this.#release();
            if (!settled) finish(() => reject(error instanceof Error ? error : new Error(String(error))));
          },
        );
      };
      const finish = (settle: () => void): void => {
        settled = true;
        clearTimeout(timer);
        settle();
      };
      this.#waiting.push(start);
      this.#startWaiting();
    });
  }

  #release(): void {
    this.#inFlight--;
    this.#startWaiting();
  }

  #startWaiting(): void {
    while (this.#inFlight < this.#max) {
      const next = this.#waiting.shift();
      if (next === undefined) return;
      next();
    }
  }
}
