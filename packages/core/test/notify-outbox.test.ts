// The detector's commit and outbox in Redis: a run that died after deciding is finished by the next
// run, exactly once; two runs at once cannot both notify.

import { describe, expect, test } from 'vitest';
import { notifyDetectorFor, runDetector } from '../src/notify/index.js';
import { resolveWebhooks } from '../src/notify/notify-config.js';
import type { Notification } from '../src/notify/notify-events.js';
import { NotifyStore } from '../src/notify/notify-store.js';
import type { DetectorState } from '../src/notify/detector.js';
import {
  cleanupsAfterEach,
  createWorkerHarness,
  startWebhookReceiver,
  waitFor,
  type WebhookReceiver,
  type WorkerHarness,
} from '@pypi-watch/test-utils';

const defer = cleanupsAfterEach();

async function setup(): Promise<{ r: WebhookReceiver; h: WorkerHarness }> {
  const r = await startWebhookReceiver(defer);
  const h = await createWorkerHarness(
    { notify: { webhooks: [{ url: r.url('/a') }, { url: r.url('/b'), events: ['rss-gap'] }], backoff: '50ms', rateLimit: { max: 100 } } },
    { queues: ['notify'] },
  );
  defer(() => h.close());
  return { r, h };
}

const deps = (h: WorkerHarness) => notifyDetectorFor(h.runtime, resolveWebhooks(h.setup.config.notify.webhooks, {}));

const GAP: Notification = { id: 'rss-gap-7', event: 'rss-gap', state: 'fired', at: 1, title: 'gap', lines: ['x'], details: {} };
const WITHDRAWN: Notification = { ...GAP, id: 'built-then-withdrawn-1-abc', event: 'built-then-withdrawn' };

describe('the detector outbox', () => {
  test('messages committed by a run that died before queueing them are queued by the next run, once, to the webhooks that want them', async () => {
    const { r, h } = await setup();
    expect((await runDetector(deps(h))).committed).toBe(true);
    const store = new NotifyStore<DetectorState>(h.runtime.redis, h.runtime.stores.keys);
    const stored = await store.read();
    // What a run does up to its commit, and then dies.
    expect(await store.commit(stored.version, stored.state!, [GAP, WITHDRAWN])).toBe(true);

    // The next run fails at what it reads (a key of the wrong type), and still queues what was decided before.
    const counters = h.runtime.stores.keys.metricsCounters;
    await h.runtime.redis.set(counters, 'not a hash');
    await expect(runDetector(deps(h))).rejects.toThrow(/WRONGTYPE/);
    await h.runtime.redis.del(counters);
    // GAP to both webhooks, WITHDRAWN only to the first (the second takes rss-gap only).
    expect(await h.runtime.queues.notify.getJobCounts('waiting', 'active', 'completed', 'delayed')).toSatisfy(
      (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0) === 3,
    );
    expect((await store.outbox()).messages).toEqual([]);
    expect((await runDetector(deps(h))).deliveries).toBe(0);
    await waitFor(() => r.requests.length >= 3, { what: 'three deliveries' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(r.requests.map((req) => `${req.path} ${(req.json as { id: string }).id}`).sort()).toEqual([
      '/a built-then-withdrawn-1-abc',
      '/a rss-gap-7',
      '/b rss-gap-7',
    ]);
  });

  test('a commit against a state another run has moved on from is refused, and leaves nothing in the outbox', async () => {
    const { h } = await setup();
    await runDetector(deps(h));
    const store = new NotifyStore<DetectorState>(h.runtime.redis, h.runtime.stores.keys);
    const seen = await store.read();
    expect(await store.commit(seen.version, seen.state!, [])).toBe(true);
    // A second run that read the same version is too late.
    expect(await store.commit(seen.version, seen.state!, [GAP])).toBe(false);
    expect((await store.outbox()).messages).toEqual([]);
    expect((await store.read()).version).toBe(seen.version + 1);
  });
});
