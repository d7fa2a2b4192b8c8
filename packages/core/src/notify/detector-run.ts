// One detector run, as the `notify` queue's repeatable job does it: queue what an earlier run left
// in the outbox, observe, decide, commit state and messages together, queue the messages.

import type { Queue } from 'bullmq';
import type { Logger } from '../logging/logger.js';
import { detect, detectorStateSchema, type DetectorSettings, type DetectorState } from './detector.js';
import { observe, type ObservationSources } from './detector-observations.js';
import { queueDeliveries } from './delivery-jobs.js';
import type { ResolvedWebhook } from './notify-config.js';
import type { NotifyStore } from './notify-store.js';

export interface DetectorRunDeps {
  readonly sources: ObservationSources;
  readonly store: NotifyStore<DetectorState>;
  readonly notifyQueue: Queue;
  readonly webhooks: readonly ResolvedWebhook[];
  readonly settings: DetectorSettings;
  readonly logger: Logger;
  /** @defaultValue Date.now */
  readonly now?: () => number;
}

export interface DetectorRunResult {
  /** Ids of the messages this run decided (none when another run committed first). */
  readonly messages: readonly string[];
  /** Delivery jobs asked for (earlier runs' leftovers included). */
  readonly deliveries: number;
  /** False when another run committed between this one's read and its commit. */
  readonly committed: boolean;
}

export async function runDetector(deps: DetectorRunDeps): Promise<DetectorRunResult> {
  const log = deps.logger.child({ queue: 'notify' });
  let deliveries = await flushOutbox(deps, log);

  const stored = await deps.store.read();
  const parsed = stored.state === undefined ? undefined : detectorStateSchema.safeParse(stored.state);
  if (parsed !== undefined && !parsed.success)
    log.warn('the stored notification state is unreadable: starting from where things stand now');
  const previous = parsed?.success === true ? parsed.data : undefined;

  const now = (deps.now ?? Date.now)();
  const observations = await observe(deps.sources, previous, now, deps.settings.digestEveryMs);
  const { state, messages } = detect(previous, observations, deps.settings);
  const committed = await deps.store.commit(stored.version, state, messages);
  if (!committed) {
    log.debug('another detector run committed first; leaving it to that one');
    return { messages: [], deliveries, committed };
  }
  for (const message of messages)
    log.info({ notification: { id: message.id, event: message.event, state: message.state } }, 'notification decided');
  deliveries += await flushOutbox(deps, log);
  return { messages: messages.map((m) => m.id), deliveries, committed };
}

/** Queues every message in the outbox (ids make repeats no-ops), then empties it of them. */
async function flushOutbox(deps: DetectorRunDeps, log: Logger): Promise<number> {
  const { messages, unreadable } = await deps.store.outbox();
  if (unreadable.length > 0) log.warn({ count: unreadable.length }, 'dropped unreadable entries from the notification outbox');
  const queued = await queueDeliveries(deps.notifyQueue, deps.webhooks, messages);
  await deps.store.removeFromOutbox([...messages.map((m) => m.id), ...unreadable]);
  return queued;
}
