// Build outcomes and withdrawals are stamped by the process that saw them (a result worker, the
// poller), on its own host's clock; the detector's windows and cursors run on another's. A result
// worker two minutes behind, or a poller whose clock was stepped back, writes an entry stamped
// before what the detector has already told: it must still be told, once, in the next message,
// and what was told before must not be told again.

import { describe, expect, test } from 'vitest';
import type { BuildOutcome } from '../src/results/build-outcome.js';
import { notifyDetectorFor, runDetector } from '../src/notify/index.js';
import { resolveWebhooks } from '../src/notify/notify-config.js';
import type { Notification } from '../src/notify/notify-events.js';
import { cleanupsAfterEach, createWorkerHarness, type WorkerHarness } from '@pypi-watch/test-utils';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** A whole hour (digests are aligned to notify.digestEvery). */
const T = Date.UTC(2026, 11, 1, 8, 0, 0);

const defer = cleanupsAfterEach();

function failure(name: string, finishedAt: number): BuildOutcome {
  return {
    name,
    normalized: name,
    version: '1.0',
    target: 'os_arch=aarch64,testbox=vm-2p8g',
    farmJobId: `z9.${name}`,
    resultRoot: `/srv/result/${name}`,
    batchId: 'submit-log-20261201-080000',
    status: 'failure',
    kind: 'missing-dependency',
    submittedAt: finishedAt - 10 * MINUTE,
    finishedAt,
  };
}

/** One detector run at `now`; the messages it decided, as queued for the webhook (alarms left out: no poll runs here). */
async function detectAt(h: WorkerHarness, now: number): Promise<Notification[]> {
  const [hook] = resolveWebhooks(h.runtime.config.notify.webhooks, {});
  const result = await runDetector({ ...notifyDetectorFor(h.runtime, [hook!]), now: () => now });
  const jobs = await Promise.all(result.messages.map((id) => h.runtime.queues.notify.getJob(`${id}--${hook!.id}`)));
  return jobs
    .map((job) => (job?.data as { notification: Notification }).notification)
    .filter((message) => message.event === 'build-failures' || message.event === 'built-then-withdrawn');
}

const failedNames = (message: Notification | undefined) =>
  ((message?.details.failures ?? []) as Array<{ name: string }>).map((f) => f.name).sort();
const withdrawnNames = (message: Notification | undefined) =>
  ((message?.details.entries ?? []) as Array<{ name: string }>).map((e) => e.name).sort();

describe('entries stamped by another clock', () => {
  test('a failure stamped inside an hour already digested goes into the next digest, once', async () => {
    const h = await createWorkerHarness({ notify: { webhooks: [{ url: 'http://127.0.0.1:9/hook' }] } }, { queues: [] });
    defer(() => h.close());
    const { results } = h.runtime.stores;

    // From before notifications were on: never told, though within the span looked back over.
    await results.add(failure('history', T - 10 * MINUTE));
    expect(await detectAt(h, T + MINUTE + 1000)).toEqual([]); // the baseline
    await results.add(failure('on-time', T + 10 * MINUTE));
    const first = await detectAt(h, T + HOUR + MINUTE + 1000);
    expect(first.map((m) => m.event)).toEqual(['build-failures']);
    expect(failedNames(first[0])).toEqual(['on-time']);

    // Written after that digest by a result worker whose clock is two minutes behind.
    await results.add(failure('late', T + HOUR - 30_000));
    await results.add(failure('next', T + HOUR + 5 * MINUTE));
    const second = await detectAt(h, T + 2 * HOUR + MINUTE + 1000);
    expect(second.map((m) => m.event)).toEqual(['build-failures']);
    expect(failedNames(second[0])).toEqual(['late', 'next']);

    // Nothing new: nothing told, and none of the earlier ones again.
    expect(await detectAt(h, T + 3 * HOUR + MINUTE + 1000)).toEqual([]);
  });

  test('a withdrawal stamped before the newest one told is told in the next run, once', async () => {
    const h = await createWorkerHarness({ notify: { webhooks: [{ url: 'http://127.0.0.1:9/hook' }] } }, { queues: [] });
    defer(() => h.close());
    const withdrawn = h.runtime.stores.builtThenWithdrawn;

    await withdrawn.record([{ at: T - 5 * MINUTE, normalized: 'history', version: '0.9', reason: 'yanked' }]);
    expect(await detectAt(h, T + MINUTE)).toEqual([]); // the baseline
    await withdrawn.record([{ at: T + 20 * MINUTE, normalized: 'first', version: '1.0', reason: 'yanked' }]);
    const first = await detectAt(h, T + 21 * MINUTE);
    expect(withdrawnNames(first[0])).toEqual(['first']);

    // The poller's clock was stepped back five minutes.
    await withdrawn.record([{ at: T + 15 * MINUTE, normalized: 'stepped-back', version: '2.0', reason: 'removed' }]);
    const second = await detectAt(h, T + 22 * MINUTE);
    expect(second.map((m) => m.event)).toEqual(['built-then-withdrawn']);
    expect(withdrawnNames(second[0])).toEqual(['stepped-back']);
    expect(await detectAt(h, T + 23 * MINUTE)).toEqual([]);
  });
});
