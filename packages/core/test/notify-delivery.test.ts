// Delivery through the real notify worker to a local receiver: each format's payload, a receiver
// that is down and comes back (exactly one delivery), no redirects, timeouts, hostile answers, and
// no webhook URL in any log line or Redis value.

import { describe, expect, test } from 'vitest';
import type { Job } from 'bullmq';
import { feishuSign } from '../src/notify/message-formats.js';
import { queueDeliveries } from '../src/notify/delivery-jobs.js';
import { resolveWebhooks, type ResolvedWebhook } from '../src/notify/notify-config.js';
import type { Notification } from '../src/notify/notify-events.js';
import { enqueueSubmits } from '../src/enqueue/enqueue-submits.js';
import { batchIdFor } from '../src/batch/batch-log.js';
import {
  cleanupsAfterEach,
  redisValuesText,
  createWorkerHarness,
  startWebhookReceiver,
  waitFor,
  type WorkerHarness,
} from '@pypi-watch/test-utils';

const TOKEN = '7d1c0ffee-hook-token-0a9b8c7d6e5f';
const SIGNING_SECRET = 'feishu-signing-secret-123';

const defer = cleanupsAfterEach();

const receiver = () => startWebhookReceiver(defer);

async function notifyWorker(
  notify: Record<string, unknown>,
  env: NodeJS.ProcessEnv = {},
  queues = ['notify'] as const,
): Promise<WorkerHarness> {
  // Fast retries for the test; no pacing unless a test asks for it.
  const h = await createWorkerHarness(
    { notify: { backoff: '50ms', attempts: 10, timeout: '2s', rateLimit: { max: 100, duration: '1s' }, ...notify } },
    { env, queues: [...queues] },
  );
  defer(() => h.close());
  return h;
}

function webhooksOf(h: WorkerHarness, env: NodeJS.ProcessEnv = {}): ResolvedWebhook[] {
  return resolveWebhooks(h.setup.config.notify.webhooks, env);
}

const HOSTILE: Notification = {
  id: 'build-failures-1764576000000',
  event: 'build-failures',
  state: 'fired',
  at: Date.UTC(2026, 11, 1, 8),
  title: 'pypi-watch: 2 build(s) failed <!channel>',
  lines: [
    'missing-dependency 2',
    'evil 1.0 (os_arch=aarch64,testbox=vm-2p8g): other, /srv/result/<at user_id="all">all</at> & <https://evil.example|click>',
    'term \u001b]0;pwned\u0007 \u202egnp.exe',
  ],
  details: { total: 2, reason: 'farm said \u001b[31mno\u001b[0m' },
};

async function jobOf(h: WorkerHarness, id: string): Promise<Job | undefined> {
  return h.runtime.queues.notify.getJob(id);
}

async function settled(h: WorkerHarness, count: number): Promise<void> {
  await waitFor(
    async () => {
      const counts = await h.runtime.queues.notify.getJobCounts('completed', 'failed');
      return (counts.completed ?? 0) + (counts.failed ?? 0) >= count;
    },
    { what: `${count} delivery job(s) settled`, timeoutMs: 30_000 },
  );
}

describe('notification delivery', () => {
  test('each format, as its receiver expects it; hostile text escaped; the URL in no log line and no Redis value', async () => {
    const r = await receiver();
    const env = { SLACK_URL: r.url(`/services/T000/B000/${TOKEN}`) };
    const h = await notifyWorker(
      {
        webhooks: [
          { name: 'generic', url: r.url(`/json/${TOKEN}`), format: 'json' },
          { name: 'feishu', url: r.url(`/open-apis/bot/v2/hook/${TOKEN}`), format: 'feishu', secretEnv: 'FEISHU_SECRET' },
          { name: 'slack', urlEnv: 'SLACK_URL', format: 'slack' },
        ],
      },
      { ...env, FEISHU_SECRET: SIGNING_SECRET },
    );
    const webhooks = webhooksOf(h, { ...env, FEISHU_SECRET: SIGNING_SECRET });
    expect(await queueDeliveries(h.runtime.queues.notify, webhooks, [HOSTILE])).toBe(3);
    await settled(h, 3);
    expect(r.requests).toHaveLength(3);
    for (const request of r.requests) {
      expect(request.method).toBe('POST');
      expect(request.headers['content-type']).toMatch(/^application\/json/);
      expect(request.headers['user-agent']).toMatch(/^pypi-watch\//);
      // Nothing raw that a terminal would act on, anywhere in a body.
      expect(request.body).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
    }

    const [json] = r.to(`/json/${TOKEN}`);
    expect(json?.json).toEqual({
      source: 'pypi-watch',
      id: HOSTILE.id,
      event: 'build-failures',
      state: 'fired',
      at: '2026-12-01T08:00:00.000Z',
      title: 'pypi-watch: 2 build(s) failed <!channel>',
      text: [
        'missing-dependency 2',
        'evil 1.0 (os_arch=aarch64,testbox=vm-2p8g): other, /srv/result/<at user_id="all">all</at> & <https://evil.example|click>',
        'term \\x1b]0;pwned\\x07 \\u202egnp.exe',
      ].join('\n'),
      details: { total: 2, reason: 'farm said \u001b[31mno\u001b[0m' },
    });

    const [feishu] = r.to(`/open-apis/bot/v2/hook/${TOKEN}`);
    const body = feishu?.json as { timestamp: string; sign: string; msg_type: string; content: unknown };
    expect(body.msg_type).toBe('post');
    // Signed as Feishu checks it: HMAC-SHA256 keyed with "timestamp\nsecret", over nothing, base64.
    expect(body.sign).toBe(feishuSign(body.timestamp, SIGNING_SECRET));
    expect(Math.abs(Number(body.timestamp) - Date.now() / 1000)).toBeLessThan(3600);
    expect(body.content).toEqual({
      post: {
        zh_cn: {
          title: 'pypi-watch: 2 build(s) failed <!channel>',
          // Every line one `text` element: an `<at>` in a failure's text is shown, never a mention.
          content: [
            [{ tag: 'text', text: 'missing-dependency 2' }],
            [
              {
                tag: 'text',
                text: 'evil 1.0 (os_arch=aarch64,testbox=vm-2p8g): other, /srv/result/<at user_id="all">all</at> & <https://evil.example|click>',
              },
            ],
            [{ tag: 'text', text: 'term \\x1b]0;pwned\\x07 \\u202egnp.exe' }],
          ],
        },
      },
    });

    const [slack] = r.to(`/services/T000/B000/${TOKEN}`);
    const s = slack?.json as { text: string; blocks: Array<{ type: string; text?: { type: string; text: string } }> };
    // Slack's markup escaped: no <!channel>, no forged link, no mention.
    expect(s.text).toContain('pypi-watch: 2 build(s) failed &lt;!channel&gt;');
    expect(s.text).toContain('&lt;at user_id="all"&gt;all&lt;/at&gt; &amp; &lt;https://evil.example|click&gt;');
    expect(s.text).not.toMatch(/<[!@#]|<https?:/);
    expect(s.blocks.map((b) => b.type)).toEqual(['header', 'section', 'context']);
    expect(s.blocks[0]?.text).toEqual({ type: 'plain_text', text: 'pypi-watch: 2 build(s) failed <!channel>' });
    expect(s.blocks[1]?.text?.type).toBe('mrkdwn');
    expect(s.blocks[1]?.text?.text).not.toContain('<');

    expect(h.logs.lines.filter((l) => l.msg === 'notification delivered')).toHaveLength(3);
    expect(h.logs.text()).not.toContain(TOKEN);
    expect(h.logs.text()).not.toContain(SIGNING_SECRET);
    expect(await redisValuesText(h.setup.prefix)).not.toContain(TOKEN);
  });

  test('a receiver that is down (connection refused, then 500s) and comes back gets the message exactly once', async () => {
    const r = await receiver();
    const path = `/hook/${TOKEN}`;
    const h = await notifyWorker({ webhooks: [{ url: r.url(path) }] });
    await r.stop();
    const [hook] = webhooksOf(h);
    await queueDeliveries(h.runtime.queues.notify, [hook!], [HOSTILE]);
    const failedAttempts = () => h.logs.lines.filter((l) => l.msg === 'job attempt failed; will retry' && l.queue === 'notify');
    await waitFor(() => failedAttempts().length >= 2, { what: 'two refused connections' });
    expect(JSON.stringify(failedAttempts())).toContain('ECONNREFUSED');

    let served = 0;
    r.answer = () => (++served <= 2 ? { status: 500, body: 'upstream sad' } : { status: 200, body: 'ok' });
    await r.start();
    await settled(h, 1);
    const job = await jobOf(h, `${HOSTILE.id}--${hook!.id}`);
    expect(await job?.getState()).toBe('completed');
    expect(r.requests.map((req) => req.path)).toEqual([path, path, path]);
    expect(h.logs.lines.filter((l) => l.msg === 'notification delivered')).toHaveLength(1);
    expect(JSON.stringify(failedAttempts())).toContain('HTTP 500: upstream sad');

    // The same message queued again (a replayed detector run): its job id is taken, nothing is sent.
    await queueDeliveries(h.runtime.queues.notify, [hook!], [HOSTILE]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(r.requests).toHaveLength(3);
    expect(h.logs.text()).not.toContain(TOKEN);
  });

  test('a redirect is not followed, and not retried; an answer that says "no" (4xx, Feishu code) is not retried', async () => {
    const r = await receiver();
    const h = await notifyWorker({
      webhooks: [
        { name: 'moved', url: r.url(`/moved/${TOKEN}`) },
        { name: 'gone', url: r.url('/gone'), format: 'slack' },
        { name: 'unsigned', url: r.url('/feishu'), format: 'feishu' },
      ],
    });
    r.answer = (req) => {
      if (req.path.startsWith('/moved')) return { status: 302, headers: { location: r.url(`/elsewhere/${TOKEN}`) } };
      if (req.path === '/gone') return { status: 404, body: 'no_service' };
      return {
        status: 200,
        body: JSON.stringify({ code: 19021, msg: 'sign match fail or timestamp is not within one hour from current time' }),
      };
    };
    await queueDeliveries(h.runtime.queues.notify, webhooksOf(h), [HOSTILE]);
    await settled(h, 3);
    expect(r.requests.map((req) => req.path.split('/')[1]).sort()).toEqual(['feishu', 'gone', 'moved']);
    const failed = await h.runtime.queues.notify.getJobs(['failed']);
    expect(failed.map((job) => job.failedReason).sort()).toEqual([
      'Feishu refused the message (code 19021): {"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time"}',
      'HTTP 302: redirects are not followed (use the final URL)',
      'HTTP 404: no_service',
    ]);
    for (const job of failed) expect(job.attemptsMade).toBe(1);
    expect(h.logs.text()).not.toContain(TOKEN);
  });

  test('a receiver that never answers times out; its long, hostile answers are bounded and escaped', async () => {
    const r = await receiver();
    const h = await notifyWorker({ timeout: '300ms', attempts: 3, webhooks: [{ url: r.url('/slow') }] });
    let calls = 0;
    r.answer = () => (++calls === 1 ? { hang: true } : { status: 503, body: `\u001b[2J${'x'.repeat(1_000_000)}` });
    await queueDeliveries(h.runtime.queues.notify, webhooksOf(h), [HOSTILE]);
    await settled(h, 1);
    const [job] = await h.runtime.queues.notify.getJobs(['failed']);
    expect(job?.attemptsMade).toBe(3);
    expect(job?.failedReason).toMatch(/^HTTP 503: \\x1b\[2Jx+…$/);
    expect(job?.failedReason.length).toBeLessThan(400);
    const attempts = h.logs.lines.filter((l) => l.queue === 'notify' && l.msg === 'job attempt failed; will retry');
    expect(JSON.stringify(attempts[0])).toMatch(/ETIMEDOUT|Timeout/);
    expect(h.logs.text()).not.toContain('\u001b[2J');
  });

  test('deliveries are paced per webhook, and a webhook that hangs holds up no submit', async () => {
    const r = await receiver();
    const h = await notifyWorker(
      {
        timeout: '1500ms',
        rateLimit: { max: 1, duration: '500ms' },
        webhooks: [
          { name: 'paced', url: r.url('/paced') },
          { name: 'stuck', url: r.url('/stuck') },
        ],
      },
      {},
      ['notify', 'submit'] as never,
    );
    r.answer = (req) => (req.path === '/stuck' ? { hang: true } : { status: 200 });
    const [paced, stuck] = webhooksOf(h);
    const messages = [0, 1, 2].map((i) => ({ ...HOSTILE, id: `rss-gap-${i + 1}`, event: 'rss-gap' as const }));
    await queueDeliveries(h.runtime.queues.notify, [paced!, stuck!], messages);
    // While the stuck webhook's deliveries wait for answers, a submit runs through.
    await enqueueSubmits({
      queue: h.runtime.queues.submit,
      releases: [{ name: 'unblocked', normalized: 'unblocked', version: '1.0' }],
      targets: h.setup.config.submit.targets,
      batchId: batchIdFor(new Date()),
      origin: 'enqueue',
    });
    await waitFor(async () => (await h.runtime.queues.submit.getJobCounts('completed')).completed === 1, { what: 'the submit' });
    await waitFor(() => r.to('/paced').length === 3, { what: 'three paced deliveries' });
    const times = r.to('/paced').map((req) => req.at);
    // One a 500 ms window: three cannot arrive within one window (a lower bound, whatever the load).
    expect(times[2]! - times[0]!).toBeGreaterThanOrEqual(800);
  });
});
