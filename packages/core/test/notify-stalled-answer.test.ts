// A receiver that says 200 and then never finishes its answer (a slow-loris body, a connection cut
// mid-body) has taken the message: retrying it would post the same message again on every try.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, test } from 'vitest';
import { queueDeliveries } from '../src/notify/delivery-jobs.js';
import { resolveWebhooks } from '../src/notify/notify-config.js';
import type { Notification } from '../src/notify/notify-events.js';
import { cleanupsAfterEach, createWorkerHarness, waitFor } from '@pypi-watch/test-utils';

const defer = cleanupsAfterEach();

/** Counts POSTs per path; `/dribble` sends 200 and a byte every 100 ms, `/cut` sends 200 and part of a body, then resets. */
async function stallingReceiver(): Promise<{ url: (path: string) => string; posts: Map<string, number> }> {
  const posts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const path = req.url ?? '';
      posts.set(path, (posts.get(path) ?? 0) + 1);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      if (path === '/dribble') {
        const timer = setInterval(() => res.write(' '), 100);
        res.on('close', () => clearInterval(timer));
      } else {
        res.write('{"code":0');
        setTimeout(() => res.socket?.destroy(), 50);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  defer(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const { port } = server.address() as AddressInfo;
  return { url: (path) => `http://127.0.0.1:${port}${path}`, posts };
}

const GAP: Notification = {
  id: 'rss-gap-3',
  event: 'rss-gap',
  state: 'fired',
  at: Date.UTC(2026, 11, 1, 8),
  title: 'pypi-watch: RSS gap: releases were missed',
  lines: ['1 poll(s) found the release seen last gone.'],
  details: { gaps: 1 },
};

describe('a receiver that answers 200 and then stalls', () => {
  test('the message is delivered once, not posted again on every try', async () => {
    const r = await stallingReceiver();
    const h = await createWorkerHarness(
      {
        notify: {
          backoff: '20ms',
          attempts: 4,
          timeout: '400ms',
          rateLimit: { max: 100, duration: '1s' },
          webhooks: [
            { name: 'dribble', url: r.url('/dribble') },
            { name: 'cut', url: r.url('/cut'), format: 'feishu' },
          ],
        },
      },
      { queues: ['notify'] },
    );
    defer(() => h.close());
    await queueDeliveries(h.runtime.queues.notify, resolveWebhooks(h.setup.config.notify.webhooks, {}), [GAP]);
    await waitFor(
      async () => {
        const counts = await h.runtime.queues.notify.getJobCounts('completed', 'failed');
        return (counts.completed ?? 0) + (counts.failed ?? 0) === 2;
      },
      { what: 'both deliveries settled', timeoutMs: 30_000 },
    );
    expect(await h.runtime.queues.notify.getJobCounts('completed', 'failed')).toEqual({ completed: 2, failed: 0 });
    expect(Object.fromEntries(r.posts)).toEqual({ '/dribble': 1, '/cut': 1 });
    expect(h.logs.lines.filter((l) => l.msg === 'notification delivered')).toHaveLength(2);
  });
});
