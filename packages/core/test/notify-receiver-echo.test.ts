// A receiver that quotes the request back (a framework's "Cannot POST /path" 404, a proxy's "upstream
// error for /path", an API's "invalid token <token>"): the token in the webhook's URL must not come
// back through the receiver's words into a log line, a failed job's reason or stack trace in Redis,
// or what `pypi-watch notify test` prints.

import { describe, expect, test } from 'vitest';
import { queueDeliveries } from '../src/notify/delivery-jobs.js';
import { resolveWebhooks } from '../src/notify/notify-config.js';
import type { Notification } from '../src/notify/notify-events.js';
import { sendTestNotifications } from '../src/notify/notify-test.js';
import {
  cleanupsAfterEach,
  redisValuesText,
  createWorkerHarness,
  startWebhookReceiver,
  waitFor,
  type WebhookReceiver,
} from '@pypi-watch/test-utils';

const PATH_TOKEN = 'XoxbPathToken4f9e2c71d0';
const QUERY_TOKEN = 'qk7Hd93ks0QueryToken';

const defer = cleanupsAfterEach();

const receiver = () => startWebhookReceiver(defer);

const GAP: Notification = {
  id: 'rss-gap-7',
  event: 'rss-gap',
  state: 'fired',
  at: Date.UTC(2026, 11, 1, 8),
  title: 'pypi-watch: RSS gap: releases were missed',
  lines: ['1 poll(s) found the release seen last gone.'],
  details: { gaps: 1 },
};

/** Answers that quote the request back, as real servers do, whole or in parts. */
function echoing(r: WebhookReceiver): void {
  r.answer = (req) => {
    const path = req.path;
    const decoded = decodeURIComponent(path);
    if (path.startsWith('/express')) return { status: 404, body: `<pre>Cannot POST ${path}</pre>` };
    if (path.startsWith('/proxy')) return { status: 503, body: `upstream error for http://${req.headers.host}${decoded}` };
    return { status: 403, body: JSON.stringify({ ok: false, error: `invalid token ${PATH_TOKEN}`, key: QUERY_TOKEN }) };
  };
}

describe('a receiver that quotes the webhook URL back', () => {
  test('its answer keeps the token out of the logs, Redis (failedReason, stack traces) and notify test', async () => {
    const r = await receiver();
    echoing(r);
    const webhooks = [
      { name: 'express', url: r.url(`/express/hook/${PATH_TOKEN}?key=${QUERY_TOKEN}`) },
      { name: 'proxy', url: r.url(`/proxy/services/T0/B0/${PATH_TOKEN}?key=${QUERY_TOKEN}`), format: 'slack' as const },
      { name: 'api', url: r.url(`/api/v2/${PATH_TOKEN}?key=${QUERY_TOKEN}`) },
    ];
    const h = await createWorkerHarness(
      { notify: { backoff: '20ms', attempts: 2, timeout: '2s', rateLimit: { max: 100, duration: '1s' }, webhooks } },
      { queues: ['notify'] },
    );
    defer(() => h.close());
    const resolved = resolveWebhooks(h.setup.config.notify.webhooks, {});
    await queueDeliveries(h.runtime.queues.notify, resolved, [GAP]);
    await waitFor(async () => (await h.runtime.queues.notify.getJobCounts('failed')).failed === 3, {
      what: 'three deliveries failed for good',
      timeoutMs: 30_000,
    });
    // Each receiver did quote the token back (the 4xx once, the 503 on both tries): the test is about
    // what happened to those words.
    expect(r.requests).toHaveLength(4);

    const failed = await h.runtime.queues.notify.getJobs(['failed']);
    const reasons = failed.map((job) => job.failedReason).sort();
    expect(reasons).toHaveLength(3);
    // What the receivers said is still there to read, without the token.
    expect(reasons[0]).toMatch(/^HTTP 403: .*invalid token/);
    expect(reasons[1]).toMatch(/^HTTP 404: <pre>Cannot POST /);
    expect(reasons[2]).toMatch(/^HTTP 503: upstream error for http:\/\/127\.0\.0\.1:\d+/);
    for (const text of [
      reasons.join('\n'),
      JSON.stringify(failed.map((job) => job.stacktrace)),
      h.logs.text(),
      await redisValuesText(h.setup.prefix),
    ]) {
      expect(text).not.toContain(PATH_TOKEN);
      expect(text).not.toContain(QUERY_TOKEN);
    }

    const tested = await sendTestNotifications(resolved, { timeoutMs: 2000 });
    expect(tested.map((t) => t.ok)).toEqual([false, false, false]);
    const printed = JSON.stringify(tested.map((t) => t.detail));
    expect(printed).toContain('Cannot POST');
    expect(printed).not.toContain(PATH_TOKEN);
    expect(printed).not.toContain(QUERY_TOKEN);
  });
});
