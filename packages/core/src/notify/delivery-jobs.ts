// Delivery jobs on the `notify` queue: one per message and webhook, with an id made of both, so
// adding the same message twice (a detector run replayed) queues it once.

import type { Queue } from 'bullmq';
import { z } from '#zod';
import type { ResolvedWebhook } from './notify-config.js';
import { notificationSchema, type Notification } from './notify-events.js';

export const DETECT_JOB_NAME = 'detect';
export const DELIVER_JOB_NAME = 'deliver';

/** What a delivery job carries: which webhook (its id, never its URL) and the message. */
export const deliverJobDataSchema = z.strictObject({
  webhook: z.string().regex(/^w[0-9a-f]{16}$/),
  notification: notificationSchema,
});
export type DeliverJobData = z.infer<typeof deliverJobDataSchema>;

/** `<message id>--<webhook id>`: no `:` (BullMQ refuses those), never all digits. */
export function deliveryJobId(messageId: string, webhookId: string): string {
  return `${messageId}--${webhookId}`;
}

/** Adds a delivery job for each webhook subscribed to each message's event; returns how many were asked for. */
export async function queueDeliveries(
  queue: Queue,
  webhooks: readonly ResolvedWebhook[],
  messages: readonly Notification[],
): Promise<number> {
  const jobs = messages.flatMap((notification) =>
    webhooks
      .filter((hook) => notification.event === 'test' || hook.events.has(notification.event))
      .map((hook) => ({
        name: DELIVER_JOB_NAME,
        data: { webhook: hook.id, notification } satisfies DeliverJobData,
        opts: { jobId: deliveryJobId(notification.id, hook.id) },
      })),
  );
  // A handful per run; addBulk is one round trip, and ids make a repeat a no-op.
  if (jobs.length > 0) await queue.addBulk(jobs);
  return jobs.length;
}
