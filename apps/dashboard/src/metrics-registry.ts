// GET /metrics: pypi-watch's counters, queue sizes and poll age in the Prometheus text format.
//
// The numbers live in Redis (core's MetricsStore), because pollers and submit workers run in other
// processes; every scrape reads them once and the prom-client metrics copy them in `collect()`.

import {
  QUEUE_NAMES,
  FAILURE_KINDS,
  RELEASE_COUNTERS,
  RESULT_COUNTERS,
  SUBMIT_COUNTERS,
  type MetricsSnapshot,
  type QueueName,
  type Runtime,
  withTimeout,
} from '@pypi-watch/core';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

/** The job states `pypi_watch_queue_jobs` reports. */
export const GAUGED_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;
type GaugedState = (typeof GAUGED_STATES)[number];

export const SUBMIT_DURATION_METRIC = 'pypi_watch_submit_duration_seconds';

export interface DashboardMetrics {
  /** The Content-Type of what `render()` returns. */
  readonly contentType: string;
  /** Reads Redis once and renders every metric; rejects when Redis does not answer in time. */
  render(): Promise<string>;
}

export interface DashboardMetricsOptions {
  /** How long one scrape may wait for Redis. @defaultValue 5000 (ms) */
  readonly timeoutMs?: number;
  readonly now?: () => number;
}

interface Scrape {
  readonly snapshot: MetricsSnapshot;
  readonly counts: Record<QueueName, Record<GaugedState, number>>;
  readonly now: number;
}

export function createDashboardMetrics(runtime: Runtime, options: DashboardMetricsOptions = {}): DashboardMetrics {
  const store = runtime.stores.metrics;
  const registry = new Registry();
  // Standard names (process_*, nodejs_*), so stock Node.js dashboards work on them.
  collectDefaultMetrics({ register: registry });

  // Set while one render runs; renders are serialized, so collect() always sees its own scrape.
  let scrape: Scrape | undefined;
  const current = (): Scrape => {
    if (!scrape) throw new Error('pypi-watch metrics are only collected through render()');
    return scrape;
  };

  new Counter({
    name: 'pypi_watch_releases_total',
    help: 'Releases the poller saw, by what became of them (found = every release read from the feed).',
    labelNames: ['outcome'],
    registers: [registry],
    collect() {
      this.reset();
      for (const outcome of RELEASE_COUNTERS) this.inc({ outcome }, current().snapshot.releases[outcome]);
    },
  });
  new Counter({
    name: 'pypi_watch_feed_gaps_total',
    help:
      'RSS polls whose last-seen release had fallen off the 100-item feed, so releases in between were missed (source.type: ' +
      'changelog has none).',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(current().snapshot.feedGaps);
    },
  });
  new Counter({
    name: 'pypi_watch_built_then_withdrawn_total',
    help: 'Releases yanked, removed or quarantined upstream after pypi-watch had submitted them (the RPM may need pulling).',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, count] of Object.entries(current().snapshot.builtThenWithdrawn)) this.inc({ reason }, count);
    },
  });
  new Counter({
    name: 'pypi_watch_submits_total',
    help: 'Submit attempts by outcome: succeeded, failed for good, or failed and retried.',
    labelNames: ['outcome'],
    registers: [registry],
    collect() {
      this.reset();
      for (const outcome of SUBMIT_COUNTERS) this.inc({ outcome }, current().snapshot.submits[outcome]);
    },
  });
  new Counter({
    name: 'pypi_watch_builds_total',
    help: 'Followed builds by outcome: success, failure, gave-up (no result in time), unmapped (no results.pathMap entry).',
    labelNames: ['outcome'],
    registers: [registry],
    collect() {
      this.reset();
      for (const outcome of RESULT_COUNTERS) this.inc({ outcome }, current().snapshot.results[outcome]);
    },
  });
  new Counter({
    name: 'pypi_watch_build_failures_total',
    help: 'Failed builds by kind (repo-outage, missing-dependency, spec-needs-repair, ai-repair-skipped, requirements-repaired, other).',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      this.reset();
      const kinds = current().snapshot.resultFailureKinds;
      for (const kind of FAILURE_KINDS) this.inc({ kind }, kinds[kind] ?? 0);
    },
  });
  new Gauge({
    name: 'pypi_watch_queue_jobs',
    help: 'Jobs in each queue by state.',
    labelNames: ['queue', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      const { counts } = current();
      for (const queue of QUEUE_NAMES) for (const state of GAUGED_STATES) this.set({ queue, state }, counts[queue][state]);
    },
  });
  new Gauge({
    name: 'pypi_watch_seconds_since_last_poll',
    help: 'Seconds since the last successful poll; +Inf until one has succeeded.',
    registers: [registry],
    collect() {
      const { snapshot, now } = current();
      const at = snapshot.lastSuccessfulPollAt;
      this.set(at === undefined ? Number.POSITIVE_INFINITY : Math.max(0, (now - at) / 1000));
    },
  });

  const load = async (): Promise<Scrape> => {
    // Commands sent while the connection is down would wait for it (maxRetriesPerRequest: null).
    if (runtime.redis.status !== 'ready') throw new Error(`redis connection is ${runtime.redis.status}`);
    const [snapshot, ...counts] = await Promise.all([
      store.snapshot(),
      ...QUEUE_NAMES.map((name) => runtime.queues[name].getJobCounts(...GAUGED_STATES)),
    ]);
    return {
      snapshot,
      counts: Object.fromEntries(
        QUEUE_NAMES.map((name, i) => [name, Object.fromEntries(GAUGED_STATES.map((state) => [state, counts[i]?.[state] ?? 0]))]),
      ) as Scrape['counts'],
      now: (options.now ?? Date.now)(),
    };
  };

  const renderOnce = async (): Promise<string> => {
    scrape = await withTimeout(load(), options.timeoutMs ?? 5000, 'reading metrics from redis');
    try {
      // prom-client 15 writes NaN as `Nan` (e.g. event-loop lag before its first sample); strict parsers want `NaN`.
      const standard = (await registry.metrics()).replace(/ Nan$/gm, ' NaN');
      return `${standard}\n${renderSubmitDuration(scrape.snapshot.submitDuration)}`;
    } finally {
      scrape = undefined;
    }
  };

  let queue: Promise<unknown> = Promise.resolve();
  return {
    contentType: registry.contentType,
    render: () => {
      const run = queue.then(renderOnce);
      queue = run.catch(() => {});
      return run;
    },
  };
}

/**
 * The submit-duration histogram, written out directly: prom-client's Histogram can only observe
 * values, and these bucket counts are already aggregated in Redis by every worker.
 */
export function renderSubmitDuration(histogram: MetricsSnapshot['submitDuration']): string {
  const name = SUBMIT_DURATION_METRIC;
  const lines = [
    `# HELP ${name} How long one submit call took, across every worker.`,
    `# TYPE ${name} histogram`,
    ...histogram.buckets.map(({ le, count }) => `${name}_bucket{le="${le}"} ${count}`),
    `${name}_bucket{le="+Inf"} ${histogram.count}`,
    `${name}_sum ${histogram.sum}`,
    `${name}_count ${histogram.count}`,
  ];
  return `${lines.join('\n')}\n`;
}
