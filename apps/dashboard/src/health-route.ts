// GET /healthz: is Redis answering, what is in each queue, and how long ago the last poll succeeded.
//
// Unauthenticated and probed every few seconds, so it must cost Redis a fixed handful of commands:
// one PING, one count script per queue, and the two small metric hashes. `status`'s dedupe size
// (a scan of every dedupe shard) and schedule listing stay out of it.

import { QUEUE_NAMES, type JobCounts, type QueueName, type Runtime, withTimeout } from '@pypi-watch/core';
import type { RequestHandler } from 'express';

export interface HealthyReport {
  readonly redis: 'ok';
  readonly queues: Record<QueueName, JobCounts>;
  /** When the last poll succeeded (ISO 8601), or null when none has. */
  readonly lastPoll: string | null;
  readonly lastPollAgeSeconds: number | null;
}

export interface UnhealthyReport {
  readonly redis: 'down' | 'ok';
  readonly error: string;
}

export type HealthCheck = { readonly status: 200; readonly body: HealthyReport } | { readonly status: 503; readonly body: UnhealthyReport };

export interface HealthCheckOptions {
  /** How long Redis gets to answer PING. @defaultValue 1000 (ms) */
  readonly pingTimeoutMs?: number;
  /** How long reading the queue counts and metrics may take. @defaultValue 5000 (ms) */
  readonly readTimeoutMs?: number;
  readonly now?: () => number;
}

/** Every state of JobCounts; a Record, so the compiler notices a state added to JobCounts. */
const COUNTED: Record<keyof JobCounts, true> = {
  waiting: true,
  active: true,
  delayed: true,
  prioritized: true,
  'waiting-children': true,
  failed: true,
  completed: true,
};
const COUNTED_STATES = Object.keys(COUNTED) as Array<keyof JobCounts>;

async function countJobs(queues: Runtime['queues']): Promise<Record<QueueName, JobCounts>> {
  const counts = await Promise.all(QUEUE_NAMES.map((name) => queues[name].getJobCounts(...COUNTED_STATES)));
  return Object.fromEntries(
    QUEUE_NAMES.map((name, i) => [name, Object.fromEntries(COUNTED_STATES.map((state) => [state, counts[i]?.[state] ?? 0]))]),
  ) as Record<QueueName, JobCounts>;
}

export async function checkHealth(runtime: Runtime, options: HealthCheckOptions = {}): Promise<HealthCheck> {
  const { redis, queues, stores } = runtime;
  // The runtime's client waits through reconnects (maxRetriesPerRequest: null): a command sent
  // while Redis is down would never settle, so look at the connection state before asking.
  if (redis.status !== 'ready') return { status: 503, body: { redis: 'down', error: `redis connection is ${redis.status}` } };
  try {
    await withTimeout(redis.ping(), options.pingTimeoutMs ?? 1000, 'redis PING');
  } catch (error) {
    return { status: 503, body: { redis: 'down', error: (error as Error).message } };
  }
  try {
    const [counts, snapshot] = await withTimeout(
      Promise.all([countJobs(queues), stores.metrics.snapshot()]),
      options.readTimeoutMs ?? 5000,
      'reading queue status',
    );
    const at = snapshot.lastSuccessfulPollAt;
    const now = (options.now ?? Date.now)();
    return {
      status: 200,
      body: {
        redis: 'ok',
        queues: counts,
        lastPoll: at === undefined ? null : new Date(at).toISOString(),
        lastPollAgeSeconds: at === undefined ? null : Math.max(0, Math.floor((now - at) / 1000)),
      },
    };
  } catch (error) {
    return { status: 503, body: { redis: 'ok', error: (error as Error).message } };
  }
}

export function healthRoute(runtime: Runtime, options: HealthCheckOptions = {}): RequestHandler {
  return (_req, res, next) => {
    checkHealth(runtime, options).then((health) => {
      if (health.status !== 200) runtime.logger.warn({ health: health.body }, 'dashboard: health check failed');
      res.status(health.status).set('Cache-Control', 'no-store').json(health.body);
    }, next);
  };
}
