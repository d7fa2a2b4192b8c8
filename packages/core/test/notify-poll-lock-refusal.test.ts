// A scheduled poll that gave up because another poll held the lock (an operator's long
// `pypi-watch poll --since …` backfill) is no failing poll: PyPI was read all along. The detector
// opens no poll-failing alarm for it, as the overview does not count it either; a real failure
// still opens one.

import { hostname } from 'node:os';
import { describe, expect, test } from 'vitest';
import { notifyDetectorFor, runDetector, type DetectorRunResult } from '../src/notify/index.js';
import { resolveWebhooks } from '../src/notify/notify-config.js';
import type { Runtime } from '../src/runtime.js';
import { cleanupsAfterEach, createWorkerHarness, FakePypi, startWebhookReceiver, waitFor } from '@pypi-watch/test-utils';

const defer = cleanupsAfterEach();

function detect(runtime: Runtime): Promise<DetectorRunResult> {
  return runDetector(notifyDetectorFor(runtime, resolveWebhooks(runtime.config.notify.webhooks, {})));
}

describe('poll-failing and the poll lock', () => {
  test('polls refused because another poll runs open no alarm; a poll that fails does', async () => {
    const r = await startWebhookReceiver(defer);
    const pypi = new FakePypi();
    await pypi.start();
    defer(() => pypi.stop());
    const h = await createWorkerHarness(
      {
        source: { type: 'changelog', baseUrl: pypi.baseUrl, pagePause: 0, retries: 0, timeout: '2s' },
        notify: { webhooks: [{ url: r.url('/hook') }], resolveAfter: 0 },
      },
      { queues: ['poll', 'notify'] },
    );
    defer(() => h.close());
    let n = 0;
    /** A scheduled-like poll job with one attempt (the queue's default is 5 over minutes). */
    const pollOnce = async (): Promise<string> => {
      const job = await h.runtime.queues.poll.add('poll', {}, { jobId: `lock-poll-${++n}`, attempts: 1 });
      return waitFor(async () => {
        const state = await job.getState();
        return state === 'completed' || state === 'failed' ? state : undefined;
      });
    };
    expect(await pollOnce()).toBe('completed');
    expect((await detect(h.runtime)).messages).toEqual([]);

    // A live poll elsewhere (this very process, so the lock is not taken over as a dead one's).
    const lock = h.runtime.stores.pollState.lockKey;
    await h.runtime.redis.set(lock, JSON.stringify({ host: hostname(), pid: process.pid, id: 'backfill' }), 'PX', 60_000);
    expect(await pollOnce()).toBe('failed');
    expect(await pollOnce()).toBe('failed');
    expect((await detect(h.runtime)).messages).toEqual([]);
    await h.runtime.redis.del(lock);

    // Whereas a poll that could not read PyPI is one, though a lock refusal came after it.
    pypi.failNext('500');
    expect(await pollOnce()).toBe('failed');
    await h.runtime.redis.set(lock, JSON.stringify({ host: hostname(), pid: process.pid, id: 'backfill' }), 'PX', 60_000);
    expect(await pollOnce()).toBe('failed');
    expect((await detect(h.runtime)).messages).toEqual([expect.stringMatching(/^poll-failing-opened-/)]);
  });
});
