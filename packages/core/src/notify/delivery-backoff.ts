// How long a delivery waits before its next try: doubling from `notify.backoff`, at most 30 minutes,
// and never sooner than a webhook's `Retry-After`. BullMQ's own `exponential` has no cap: with 20
// tries its last waits would be days; capped, the default 30 s × 20 tries spans about 7 hours.

import type { MinimalJob } from 'bullmq';
import { WebhookDeliveryError } from '../errors.js';

/** The backoff `type` of notify jobs; the notify worker's `settings.backoffStrategy` handles it. */
export const NOTIFY_BACKOFF = 'notify-capped-exponential';

/** Longest wait between two tries. */
export const MAX_DELIVERY_BACKOFF_MS = 30 * 60_000;

/** `delay × 2^(attempt - 1)`, capped, and at least what the webhook asked for. */
export function deliveryBackoffMs(attemptsMade: number, firstDelayMs: number, retryAfterMs?: number): number {
  const doubled = firstDelayMs * 2 ** Math.max(0, Math.min(attemptsMade - 1, 30));
  const wait = Math.min(doubled, Math.max(MAX_DELIVERY_BACKOFF_MS, firstDelayMs));
  return retryAfterMs === undefined ? wait : Math.max(wait, retryAfterMs);
}

/** For the notify worker's `settings`: BullMQ calls it for every backoff type it does not know. */
export function notifyBackoffStrategy(attemptsMade: number, _type?: string, err?: Error, job?: MinimalJob): number {
  const backoff = job?.opts.backoff;
  const firstDelay = typeof backoff === 'object' && typeof backoff.delay === 'number' ? backoff.delay : 30_000;
  return deliveryBackoffMs(attemptsMade, firstDelay, err instanceof WebhookDeliveryError ? err.retryAfterMs : undefined);
}
