// `pypi-watch notify test`: a sample message sent straight to each configured webhook (no queue,
// no retries), and what each one answered, so an operator sees at once whether a URL, a format or a
// Feishu signing secret is right.

import { renderBody } from './message-formats.js';
import type { ResolvedWebhook } from './notify-config.js';
import type { Notification } from './notify-events.js';
import { postWebhook } from './webhook-client.js';

export interface TestDelivery {
  readonly webhook: ResolvedWebhook;
  readonly ok: boolean;
  readonly status?: number;
  /** What went wrong, or what the webhook answered (bounded, escaped; never the URL's path). */
  readonly detail: string;
}

export function sampleNotification(hook: ResolvedWebhook, now: number): Notification {
  return {
    id: `test-${now}`,
    event: 'test',
    state: 'test',
    at: now,
    title: 'pypi-watch: test notification',
    lines: ['This is a sample from `pypi-watch notify test`: this webhook is set up right.', `It gets: ${[...hook.events].join(', ')}.`],
    details: { sample: true, events: [...hook.events] },
  };
}

/** One request per webhook, one after another (a slow one does not hide the others' answers). */
export async function sendTestNotifications(
  webhooks: readonly ResolvedWebhook[],
  options: { readonly timeoutMs: number; readonly now?: () => number },
): Promise<TestDelivery[]> {
  const results: TestDelivery[] = [];
  for (const webhook of webhooks) {
    const now = (options.now ?? Date.now)();
    const body = renderBody(sampleNotification(webhook, now), {
      format: webhook.format,
      ...(webhook.signingSecret === undefined ? {} : { signingSecret: webhook.signingSecret }),
    });
    const outcome = await postWebhook({ url: webhook.url, format: webhook.format, body, timeoutMs: options.timeoutMs });
    results.push(
      outcome.ok
        ? {
            webhook,
            ok: true,
            status: outcome.status,
            detail: outcome.body === '' ? `HTTP ${outcome.status}` : `HTTP ${outcome.status}: ${outcome.body}`,
          }
        : { webhook, ok: false, ...(outcome.status === undefined ? {} : { status: outcome.status }), detail: outcome.reason },
    );
  }
  return results;
}
