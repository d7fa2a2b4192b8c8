// The BullMQ queues, built from config the same way in every process.

import type { DefaultJobOptions } from 'bullmq';
import type { Cluster, Redis } from '../redis/ioredis.js';
import { Queue } from './bullmq.js';
import type { Config } from '../config/load-config.js';
import { bullPrefix } from '../redis/redis-keys.js';
import type { QueueName } from './queue-names.js';
import { NOTIFY_BACKOFF } from '../notify/delivery-backoff.js';

export interface Queues {
  readonly poll: Queue;
  readonly submit: Queue;
  readonly cleanup: Queue;
  readonly result: Queue;
  /** Notifications: the detector's repeatable run, and one delivery job per message and webhook. */
  readonly notify: Queue;
  readonly all: readonly Queue[];
  close(): Promise<void>;
}

const DAY_S = 86_400;

/** Job options per queue; `submit` retries with exponential backoff as configured. */
export function defaultJobOptions(config: Config): Record<QueueName, DefaultJobOptions> {
  return {
    poll: {
      attempts: 5,
      backoff: { type: 'exponential', delay: 30_000 },
      removeOnComplete: { count: 200 },
      removeOnFail: { count: 200 },
    },
    submit: {
      attempts: config.submit.attempts,
      backoff: { type: 'exponential', delay: config.submit.backoff },
      // Completed jobs are kept a week for the dashboard and `status`; the dedupe set is the history.
      removeOnComplete: { age: 7 * DAY_S, count: 200_000 },
      removeOnFail: { age: 30 * DAY_S },
    },
    result: {
      // Retries only for I/O errors reading the result folder; waiting for a build is not a retry.
      attempts: 3,
      backoff: { type: 'exponential', delay: 60_000 },
      removeOnComplete: { age: 7 * DAY_S, count: 200_000 },
      removeOnFail: { age: 30 * DAY_S },
    },
    cleanup: {
      attempts: 3,
      backoff: { type: 'exponential', delay: 60_000 },
      removeOnComplete: { count: 50 },
      removeOnFail: { count: 50 },
    },
    notify: {
      // Deliveries: doubling from notify.backoff up to 30 minutes (notify/delivery-backoff.ts), ~7 h by default.
      attempts: config.notify.attempts,
      backoff: { type: NOTIFY_BACKOFF, delay: config.notify.backoff },
      // Kept a week: while a delivery job exists its id (message × webhook) cannot be added again.
      removeOnComplete: { age: 7 * DAY_S, count: 10_000 },
      removeOnFail: { age: 30 * DAY_S, count: 10_000 },
    },
  };
}

/**
 * `connection` is a client, never options: given options, BullMQ would load ioredis itself, a second
 * copy beside the pre-bundled one the built code runs (scripts/bundle-vendor.mjs).
 */
export function createQueues(connection: Redis | Cluster, config: Config): Queues {
  const options = defaultJobOptions(config);
  const make = (name: QueueName): Queue =>
    new Queue(name, { connection, prefix: bullPrefix(config.redis.prefix), defaultJobOptions: options[name] });
  const poll = make('poll');
  const submit = make('submit');
  const cleanup = make('cleanup');
  const result = make('result');
  const notify = make('notify');
  const all = [poll, submit, cleanup, result, notify];
  return {
    poll,
    submit,
    cleanup,
    result,
    notify,
    all,
    close: async () => {
      await Promise.all(all.map((queue) => queue.close()));
    },
  };
}
