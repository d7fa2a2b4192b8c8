// Settles with the promise, or rejects with TimeoutError once `ms` have passed without an answer.

import { TimeoutError } from '../errors.js';

/** `what` names the call in the error's message, e.g. `redis PING: no answer within 1000 ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(what, ms)), ms);
  });
  // A late rejection of the original promise must not become an unhandled rejection.
  promise.catch(() => {});
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** True when the promise settles in time; false when `ms` passed first. Its own rejection still throws. */
export async function settlesWithin(promise: Promise<unknown>, ms: number, what: string): Promise<boolean> {
  try {
    await withTimeout(promise, ms, what);
    return true;
  } catch (error) {
    if (error instanceof TimeoutError) return false;
    throw error;
  }
}
