// Notifications: the public face of this folder, and the notify worker's wiring from a Runtime.
// Loaded only by what sends (the notify worker, `pypi-watch notify test`): delivery brings got.

import type { Job } from 'bullmq';
import type { Runtime } from '../runtime.js';
import type { DetectorState } from './detector.js';
import type { DetectorRunDeps } from './detector-run.js';
import { resolveWebhooks, type ResolvedWebhook } from './notify-config.js';
import { createNotifyProcessor, type NotifyJobResult } from './notify-processor.js';
import { NotifyStore } from './notify-store.js';

export { NOTIFY_EVENTS, NOTIFY_FORMATS, type NotifyEvent, type NotifyFormat, type Notification } from './notify-events.js';
export { resolveWebhooks, type ResolvedWebhook } from './notify-config.js';
export { sendTestNotifications, sampleNotification, type TestDelivery } from './notify-test.js';
export { notifyBackoffStrategy } from './delivery-backoff.js';
export { runDetector, type DetectorRunDeps, type DetectorRunResult } from './detector-run.js';
export type { NotifyJobResult } from './notify-processor.js';

/** How long without a successful poll counts as a failing poll, in polls. */
const STALE_POLLS = 3;

/** What a detector run reads and writes, for this runtime and these webhooks. */
export function notifyDetectorFor(
  runtime: Pick<Runtime, 'config' | 'redis' | 'queues' | 'stores' | 'logger'>,
  webhooks: readonly ResolvedWebhook[],
): DetectorRunDeps {
  const { config, redis, queues, stores, logger } = runtime;
  return {
    sources: {
      redis,
      keys: stores.keys,
      metrics: stores.metrics,
      results: stores.results,
      pollState: stores.pollState,
      pollQueue: queues.poll,
      submitQueue: queues.submit,
    },
    store: new NotifyStore<DetectorState>(redis, stores.keys),
    notifyQueue: queues.notify,
    webhooks,
    settings: {
      digestEveryMs: config.notify.digestEvery,
      lagAlarm: config.notify.lagAlarm,
      refusedAfter: config.notify.refusedAfter,
      pollStaleAfterMs: STALE_POLLS * config.source.every,
      resolveAfterMs: config.notify.resolveAfter,
    },
    logger,
  };
}

/**
 * The `notify` queue's processor for this runtime, its webhooks resolved from `env` (a ConfigError
 * naming the key when a variable is missing: the worker does not start half-configured).
 */
export function notifyProcessorFor(
  runtime: Pick<Runtime, 'config' | 'redis' | 'queues' | 'stores' | 'logger'>,
  env: NodeJS.ProcessEnv = process.env,
): { readonly webhooks: readonly ResolvedWebhook[]; readonly process: (job: Job, token?: string) => Promise<NotifyJobResult> } {
  const { config, redis, stores, logger } = runtime;
  const webhooks = resolveWebhooks(config.notify.webhooks, env);
  const process = createNotifyProcessor({
    detector: notifyDetectorFor(runtime, webhooks),
    webhooks,
    redis,
    keys: stores.keys,
    rateLimit: { max: config.notify.rateLimit.max, durationMs: config.notify.rateLimit.duration },
    timeoutMs: config.notify.timeout,
    orderWaitMs: config.notify.backoff,
    logger,
  });
  return { webhooks, process };
}
