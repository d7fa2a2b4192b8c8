import { describe, expect, test } from 'vitest';
import { callsInFlight } from '../src/redis/calls-in-flight.js';

/** A call whose answer the test gives by hand. */
interface Deferred {
  readonly index: number;
  resolve(value: number): void;
  reject(error: Error): void;
}

function manualCalls(): { started: Deferred[]; send: (index: number) => Promise<number> } {
  const started: Deferred[] = [];
  const send = (index: number): Promise<number> =>
    new Promise<number>((resolve, reject) => {
      started.push({ index, resolve, reject });
    });
  return { started, send };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('callsInFlight', () => {
  test('starts up to `window` calls before awaiting one, and returns the replies in order whatever order they come in', async () => {
    const { started, send } = manualCalls();
    const all = callsInFlight(5, send, 3);
    await tick();
    expect(started.map((call) => call.index)).toEqual([0, 1, 2]);
    started[2]!.resolve(20);
    started[1]!.resolve(10);
    await tick();
    expect(started).toHaveLength(3); // the oldest (0) is still unanswered
    started[0]!.resolve(0);
    await tick();
    expect(started.map((call) => call.index)).toEqual([0, 1, 2, 3, 4]);
    started[4]!.resolve(40);
    started[3]!.resolve(30);
    await expect(all).resolves.toEqual([0, 10, 20, 30, 40]);
  });

  test('after a failure no further call starts; the first error is thrown once the calls in flight have settled', async () => {
    const { started, send } = manualCalls();
    let settled = false;
    const all = callsInFlight(10, send, 3).finally(() => (settled = true));
    all.catch(() => undefined);
    await tick();
    started[0]!.reject(new Error('first'));
    await tick();
    expect(started).toHaveLength(3);
    started[1]!.reject(new Error('second'));
    await tick();
    expect(settled).toBe(false); // call 2 is still out
    started[2]!.resolve(2);
    await expect(all).rejects.toThrow('first');
    expect(started).toHaveLength(3);
  });

  test('a later call failing while an earlier one is awaited is not an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const { started, send } = manualCalls();
      const all = callsInFlight(2, send, 2);
      all.catch(() => undefined);
      await tick();
      started[1]!.reject(new Error('later'));
      await tick();
      await tick();
      started[0]!.resolve(0);
      await expect(all).rejects.toThrow('later');
      await tick();
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  test('no calls: no replies', async () => {
    await expect(callsInFlight(0, () => Promise.resolve(1))).resolves.toEqual([]);
  });
});
