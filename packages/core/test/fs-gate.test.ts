// The result reader's gate: a call stuck on a hung mount keeps its slot, so result reads can never
// hold more than `maxInFlight` of libuv's threads, and every caller gives up after `timeoutMs`.

import { describe, expect, test } from 'vitest';
import { FsGate } from '../src/results/fs-gate.js';
import { UnreadableResultError } from '../src/errors.js';

/** A call that settles only when told to, like an fs call on a mount that stopped answering. */
function stuckCall<T>(value: T) {
  let release!: () => void;
  const settled = new Promise<T>((resolve) => {
    release = () => resolve(value);
  });
  return { call: () => settled, release };
}

describe('FsGate', () => {
  test('a call that never answers fails with reason timeout', async () => {
    const gate = new FsGate({ timeoutMs: 50 });
    const error = await gate.run(() => new Promise<never>(() => {}), 'output').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnreadableResultError);
    expect(error).toMatchObject({ code: 'ERR_RESULT_UNREADABLE', reason: 'timeout', file: 'output' });
  });

  test('timed-out calls keep their slots until they really settle; a late value goes to onLate', async () => {
    const gate = new FsGate({ maxInFlight: 2, timeoutMs: 50 });
    const stuck = [stuckCall('a'), stuckCall('b')];
    const late: string[] = [];
    const results = stuck.map((s) => gate.run(s.call, undefined, (value) => late.push(value)).catch((e: unknown) => e));
    let thirdStarted = false;
    const third = gate.run(async () => {
      thirdStarted = true;
      return 'c';
    });
    expect(await third.catch((e: unknown) => e)).toMatchObject({ reason: 'timeout' });
    // Both threads were still "stuck": the third call never ran, so it took no third thread.
    expect(thirdStarted).toBe(false);
    for (const r of await Promise.all(results)) expect(r).toMatchObject({ reason: 'timeout' });

    stuck[0]?.release();
    // The freed slot serves new callers again.
    expect(await gate.run(async () => 'd')).toBe('d');
    expect(late).toEqual(['a']);
    stuck[1]?.release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(late).toEqual(['a', 'b']);
  });

  test('at most maxInFlight calls run at once; the rest wait their turn and succeed', async () => {
    const gate = new FsGate({ maxInFlight: 2, timeoutMs: 5000 });
    let running = 0;
    let peak = 0;
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        gate.run(async () => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((resolve) => setTimeout(resolve, 5));
          running--;
          return i;
        }),
      ),
    );
    expect(results).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(peak).toBe(2);
  });

  test('maxInFlight must be a positive integer', () => {
    expect(() => new FsGate({ maxInFlight: 0 })).toThrow('Expected `maxInFlight` to be a positive integer, got `0`');
  });
});
