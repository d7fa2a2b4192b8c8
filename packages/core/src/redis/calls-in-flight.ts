// Several Redis calls of one batch in flight on one connection: while Redis runs one call, this
// process encodes the next, instead of each side idling half the time. Redis runs them in the
// order they were sent, so the outcome is that of one call after the other.

/** Calls sent before the oldest reply is awaited, where a caller has no reason to pick another. */
export const CALLS_IN_FLIGHT = 4;

/**
 * Starts `send(0)`, `send(1)`, … `send(count - 1)` with at most `window` unanswered, and returns
 * their replies in order. After a failure no further call is started; the first error is thrown
 * once the calls already sent have settled (so none of them runs on behind the caller's back).
 */
export async function callsInFlight<T>(count: number, send: (index: number) => Promise<T>, window = CALLS_IN_FLIGHT): Promise<T[]> {
  const replies: T[] = [];
  const pending: Array<Promise<T>> = [];
  let failure: { error: unknown } | undefined;
  const takeOldest = async (): Promise<void> => {
    try {
      replies.push(await pending.shift()!);
    } catch (error) {
      failure ??= { error };
    }
  };
  for (let index = 0; index < count && failure === undefined; index++) {
    const reply = send(index);
    // Handled at once, looked at in its turn: a later call failing first must not go unhandled.
    reply.catch(() => undefined);
    pending.push(reply);
    if (pending.length >= window) await takeOldest();
  }
  while (pending.length > 0) await takeOldest();
  if (failure) throw failure.error;
  return replies;
}
