// A receiver that was down while an alarm opened and resolved gets both once it is back, and in that
// order. Each delivery retries on its own backoff, and the older "opened" has the longer one: left
// alone, "resolved" would arrive first, and a receiver that keeps the last state it was told (a
// status page, an incident tool fed the JSON format) would keep the alarm open for good.

import { describe, expect, test } from 'vitest';
import { queueDeliveries } from '../src/notify/delivery-jobs.js';
import { resolveWebhooks } from '../src/notify/notify-config.js';
import type { Notification } from '../src/notify/notify-events.js';
import { cleanupsAfterEach, createWorkerHarness, startWebhookReceiver, waitFor } from '@pypi-watch/test-utils';

const defer = cleanupsAfterEach();

const OPENED_AT = Date.UTC(2026, 11, 1, 8);

const opened: Notification = {
  id: `poll-failing-opened-${OPENED_AT}`,
  event: 'poll-failing',
  state: 'opened',
  at: OPENED_AT,
  title: 'pypi-watch: polling PyPI is failing',
  lines: ['A poll failed after all its retries: HTTP 503'],
  details: {},
};
const resolved: Notification = {
  id: `poll-failing-resolved-${OPENED_AT}`,
  event: 'poll-failing',
  state: 'resolved',
  at: OPENED_AT + 3_600_000,
  title: 'pypi-watch: resolved: polls succeed again',
  lines: ['Since 2026-12-01T08:00:00.000Z (1h).'],
  details: {},
};

describe('an alarm told while the receiver was down', () => {
  test('"resolved" reaches the receiver after its "opened", each once', async () => {
    const r = await startWebhookReceiver(defer);
    await r.stop();
    const h = await createWorkerHarness(
      {
        notify: {
          backoff: '400ms',
          attempts: 30,
          timeout: '2s',
          rateLimit: { max: 100, duration: '1s' },
          webhooks: [{ url: r.url('/hook') }],
        },
      },
      { queues: ['notify'] },
    );
    defer(() => h.close());
    const webhooks = resolveWebhooks(h.setup.config.notify.webhooks, {});
    const openedJob = `${opened.id}--${webhooks[0]!.id}`;
    await queueDeliveries(h.runtime.queues.notify, webhooks, [opened]);
    // Four failed tries: the next one is 3.2 s away (400 ms doubling).
    await waitFor(async () => ((await h.runtime.queues.notify.getJob(openedJob))?.attemptsMade ?? 0) >= 4, {
      what: 'four failed tries of "opened"',
      timeoutMs: 20_000,
    });
    await queueDeliveries(h.runtime.queues.notify, webhooks, [resolved]);
    await r.start();
    await waitFor(() => r.requests.length >= 2, { what: 'both messages delivered', timeoutMs: 30_000 });
    await waitFor(async () => (await h.runtime.queues.notify.getJobCounts('completed')).completed === 2, { what: 'both jobs completed' });
    expect(r.requests.map((req) => (req.json as { state: string }).state)).toEqual(['opened', 'resolved']);
  });
});
