// The `notify` queue's processor: `detect` runs the detector (the repeatable job), `deliver` sends
// one message to one webhook, paced per webhook and retried with backoff by BullMQ. Nothing here
// can hold up the pipeline: it runs on its own queue, and a webhook that is down only delays its
// own jobs.

import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { WebhookDeliveryError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import type { RedisKeys } from '../redis/redis-keys.js';
import { StartPacer } from '../submit/start-pacer.js';
import { openedIdOf } from './detector.js';
import { runDetector, type DetectorRunDeps, type DetectorRunResult } from './detector-run.js';
import { DELIVER_JOB_NAME, DETECT_JOB_NAME, deliverJobDataSchema, deliveryJobId } from './delivery-jobs.js';
import { renderBody } from './message-formats.js';
import type { ResolvedWebhook } from './notify-config.js';
import { postWebhook } from './webhook-client.js';

export interface NotifyProcessorOptions {
  readonly detector: DetectorRunDeps;
  readonly webhooks: readonly ResolvedWebhook[];
  readonly redis: Redis;
  readonly keys: Pick<RedisKeys, 'notifyPace'>;
  /** `notify.rateLimit`, per webhook. */
  readonly rateLimit: { readonly max: number; readonly durationMs: number };
  /** `notify.timeout`. */
  readonly timeoutMs: number;
  /** How long a "resolved" waits, a time, for its "opened" still being retried (`notify.backoff`). @defaultValue 30000 */
  readonly orderWaitMs?: number;
  readonly logger: Logger;
}

export type NotifyJobResult = DetectorRunResult | { readonly delivered: true; readonly status: number } | { readonly dropped: string };

/** States of a delivery job that has still to be sent or given up. */
const PENDING = new Set(['waiting', 'delayed', 'prioritized', 'active', 'waiting-children']);

export function createNotifyProcessor(options: NotifyProcessorOptions): (job: Job, token?: string) => Promise<NotifyJobResult> {
  const byId = new Map(options.webhooks.map((hook) => [hook.id, hook]));
  const pacers = new Map(
    options.webhooks.map((hook) => [
      hook.id,
      new StartPacer({
        redis: options.redis,
        key: options.keys.notifyPace(hook.id),
        max: options.rateLimit.max,
        durationMs: options.rateLimit.durationMs,
        maxAheadMs: options.rateLimit.durationMs,
      }),
    ]),
  );

  return async function processNotify(job: Job, token?: string): Promise<NotifyJobResult> {
    if (job.name === DETECT_JOB_NAME) return runDetector(options.detector);
    if (job.name !== DELIVER_JOB_NAME)
      throw new UnrecoverableError(`unknown notify job name (expected ${DETECT_JOB_NAME} or ${DELIVER_JOB_NAME})`);

    // Job data is whatever is in Redis: only a configured webhook is ever sent to, never a URL from the job.
    const parsed = deliverJobDataSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError('not a delivery job: its data is not a webhook id and a message');
    const { notification } = parsed.data;
    const hook = byId.get(parsed.data.webhook);
    const log = options.logger.child({
      queue: 'notify',
      jobId: job.id,
      notification: { id: notification.id, event: notification.event, state: notification.state },
      ...(hook === undefined ? {} : { webhook: hook.label }),
    });
    if (hook === undefined) {
      log.warn('the webhook of this message is no longer configured (notify.webhooks changed): dropped');
      return { dropped: 'webhook no longer configured' };
    }
    if (notification.event !== 'test' && !hook.events.has(notification.event)) {
      log.info('the webhook no longer subscribes to this event: dropped');
      return { dropped: 'event no longer subscribed' };
    }

    // Each delivery retries on its own backoff, and an older "opened" has the longer one. A receiver
    // that keeps the last state it was told would keep the alarm open if "resolved" came first.
    const opened = notification.state === 'resolved' ? openedIdOf(notification.id) : undefined;
    if (opened !== undefined && PENDING.has(await options.detector.notifyQueue.getJobState(deliveryJobId(opened, hook.id)))) {
      log.debug('its "opened" message is still to be sent to this webhook: waiting for it');
      await job.moveToDelayed(Date.now() + (options.orderWaitMs ?? 30_000), token);
      throw new DelayedError();
    }

    const pacer = pacers.get(hook.id)!;
    const start = await pacer.reserve();
    if (!start.reserved) {
      // Not an attempt: the job waits for the webhook's next free slot.
      await job.moveToDelayed(Date.now() + start.retryInMs, token);
      throw new DelayedError();
    }
    await pacer.waitForStart(start);

    const body = renderBody(notification, {
      format: hook.format,
      ...(hook.signingSecret === undefined ? {} : { signingSecret: hook.signingSecret }),
    });
    const outcome = await postWebhook({ url: hook.url, format: hook.format, body, timeoutMs: options.timeoutMs });
    if (outcome.ok) {
      log.info({ status: outcome.status, attempt: job.attemptsMade + 1 }, 'notification delivered');
      return { delivered: true, status: outcome.status };
    }
    if (!outcome.retryable) {
      log.error({ status: outcome.status, reason: outcome.reason }, 'webhook refused the notification; not retrying');
      throw new UnrecoverableError(outcome.reason);
    }
    throw new WebhookDeliveryError(outcome.reason, outcome.retryAfterMs === undefined ? {} : { retryAfterMs: outcome.retryAfterMs });
  };
}
