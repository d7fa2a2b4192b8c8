// /healthz and /metrics against real Redis servers, the loopback-only rule, and read-only mode.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigError,
  openRuntime,
  QUEUE_NAMES,
  startEmbeddedRedis,
  SUBMIT_DURATION_BUCKETS,
  type EmbeddedRedis,
  type Runtime,
} from '@pypi-watch/core';
import { Redis } from 'ioredis';
import { describe, expect, test } from 'vitest';
import { assertDashboardExposure, isLoopbackHost, startDashboard, type RunningDashboard } from '../src/index.js';
import { captureLogs, cleanupsAfterEach, createTestSetup, type TestSetup } from '@pypi-watch/test-utils';
import { createDashboardHarness, DASHBOARD_PASSWORD, waitFor, type DashboardHarness } from './support/dashboard-harness.js';
import { parseExposition } from './support/prometheus-text.js';

const defer = cleanupsAfterEach();

const harness = (options: Parameters<typeof createDashboardHarness>[0] = {}) => createDashboardHarness({ ...options, defer });

const get = (h: { dashboard: RunningDashboard }, path: string, init?: RequestInit) => fetch(new URL(path, h.dashboard.url), init);

async function scrape(h: DashboardHarness) {
  const response = await get(h, '/metrics');
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await response.text());
}

describe('/healthz', () => {
  test('200 with redis ok, per-queue counts and the last successful poll', async () => {
    const h = await harness();
    const first = await get(h, '/healthz');
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    const body = (await first.json()) as Record<string, unknown>;
    expect(body).toEqual({
      redis: 'ok',
      queues: Object.fromEntries(
        QUEUE_NAMES.map((name) => [name, expect.objectContaining({ waiting: 0, active: 0, delayed: 0, failed: 0, completed: 0 })]),
      ),
      lastPoll: null,
      lastPollAgeSeconds: null,
    });

    await h.enqueue('alpha', 'beta');
    const polledAt = new Date(Date.now() - 90_000);
    const metrics = h.runtime.stores.metrics;
    await metrics.recordPoll({ found: 3, invalid: 0, filtered: 1, duplicate: 0, queued: 2 }, polledAt);
    const second = (await (await get(h, '/healthz')).json()) as {
      queues: Record<string, Record<string, number>>;
      lastPoll: string;
      lastPollAgeSeconds: number;
    };
    expect(second.queues.submit).toMatchObject({ waiting: 2, active: 0, failed: 0, completed: 0 });
    expect(second.lastPoll).toBe(polledAt.toISOString());
    expect(second.lastPollAgeSeconds).toBeGreaterThanOrEqual(90);
    expect(second.lastPollAgeSeconds).toBeLessThan(120);
  });

  describe('on a private redis-server', () => {
    let server: EmbeddedRedis;
    let runtime: Runtime;
    let dashboard: RunningDashboard;

    async function startPrivate(): Promise<{ logs: ReturnType<typeof captureLogs> }> {
      const dir = await mkdtemp(join(tmpdir(), 'pypi-watch-dashboard-redis-'));
      server = await startEmbeddedRedis({ dir, appendOnly: false });
      const setup: TestSetup = await createTestSetup({ redis: { url: server.url }, dashboard: { port: 0 } });
      const logs = captureLogs();
      runtime = await openRuntime({ config: setup.config, logger: logs.logger });
      dashboard = await startDashboard(runtime);
      defer(async () => {
        await dashboard.close();
        runtime.redis.disconnect(); // Redis may be gone: quit() would wait for it forever
        await runtime.close();
        await server.stop();
        await setup.remove();
        await rm(dir, { recursive: true, force: true });
      });
      return { logs };
    }

    test('503 { redis: "down" } within about a second once Redis is stopped', async () => {
      await startPrivate();
      expect((await get({ dashboard }, '/healthz')).status).toBe(200);
      await server.stop();
      await waitFor(() => runtime.redis.status !== 'ready', { what: 'the client to notice' });

      const started = Date.now();
      const down = await get({ dashboard }, '/healthz');
      expect(Date.now() - started).toBeLessThan(1500);
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({ redis: 'down' });
      const metrics = await get({ dashboard }, '/metrics');
      expect(metrics.status).toBe(503);
    });

    test('503 when Redis is connected but does not answer PING within a second', async () => {
      await startPrivate();
      const admin = new Redis(server.url);
      defer(async () => void admin.disconnect());
      // Every other client's commands wait until the pause ends: a hung Redis, still "ready" to ioredis.
      await admin.call('CLIENT', 'PAUSE', '2500', 'ALL');
      const started = Date.now();
      const hung = await get({ dashboard }, '/healthz');
      const took = Date.now() - started;
      expect(hung.status).toBe(503);
      expect(await hung.json()).toMatchObject({ redis: 'down', error: expect.stringContaining('PING') });
      expect(took).toBeGreaterThanOrEqual(900);
      expect(took).toBeLessThan(2000);
      await waitFor(async () => (await get({ dashboard }, '/healthz')).status === 200, { what: 'healthy again after the pause' });
    });
  });
});

describe('/metrics', () => {
  test('valid exposition whose counters, histogram and queue gauges move as submits run', async () => {
    const h = await harness();
    const before = await scrape(h);
    expect(before.types.get('pypi_watch_releases_total')).toBe('counter');
    expect(before.types.get('pypi_watch_submits_total')).toBe('counter');
    expect(before.types.get('pypi_watch_submit_duration_seconds')).toBe('histogram');
    expect(before.types.get('pypi_watch_queue_jobs')).toBe('gauge');
    expect(before.types.get('pypi_watch_seconds_since_last_poll')).toBe('gauge');
    expect(before.types.get('process_cpu_user_seconds_total')).toBe('counter');
    expect(before.types.get('nodejs_heap_size_used_bytes')).toBe('gauge');
    for (const outcome of ['found', 'invalid', 'filtered', 'duplicate', 'queued'])
      expect(before.value('pypi_watch_releases_total', { outcome })).toBe(0);
    for (const outcome of ['succeeded', 'failed', 'retried']) expect(before.value('pypi_watch_submits_total', { outcome })).toBe(0);
    for (const queue of QUEUE_NAMES) {
      for (const state of ['waiting', 'active', 'delayed', 'failed', 'completed'])
        expect(before.value('pypi_watch_queue_jobs', { queue, state })).toBe(0);
    }
    expect(before.value('pypi_watch_seconds_since_last_poll')).toBe(Number.POSITIVE_INFINITY);
    const les = before.samples.filter((s) => s.name === 'pypi_watch_submit_duration_seconds_bucket').map((s) => s.labels.le);
    expect(les).toEqual([...SUBMIT_DURATION_BUCKETS.map(String), '+Inf']);

    await h.enqueue('alpha', 'fail-beta');
    const queued = await scrape(h);
    expect(queued.value('pypi_watch_queue_jobs', { queue: 'submit', state: 'waiting' })).toBe(2);

    await h.startWorkers();
    await h.settled(2);
    const after = await scrape(h);
    expect(after.value('pypi_watch_submits_total', { outcome: 'succeeded' })).toBe(1);
    expect(after.value('pypi_watch_submits_total', { outcome: 'failed' })).toBe(1);
    expect(after.value('pypi_watch_queue_jobs', { queue: 'submit', state: 'waiting' })).toBe(0);
    expect(after.value('pypi_watch_queue_jobs', { queue: 'submit', state: 'completed' })).toBe(1);
    expect(after.value('pypi_watch_queue_jobs', { queue: 'submit', state: 'failed' })).toBe(1);
    expect(after.value('pypi_watch_submit_duration_seconds_count')).toBe(2);
    expect(after.value('pypi_watch_submit_duration_seconds_sum')).toBeGreaterThan(0);

    const metrics = h.runtime.stores.metrics;
    expect(after.value('pypi_watch_feed_gaps_total')).toBe(0);
    expect(after.value('pypi_watch_built_then_withdrawn_total', { reason: 'yanked' })).toBe(0);
    await metrics.recordPoll(
      {
        found: 5,
        invalid: 1,
        filtered: 1,
        duplicate: 1,
        queued: 2,
        waiting: 3,
        gap: true,
        builtThenWithdrawn: { yanked: 2, quarantined: 1 },
      },
      new Date(Date.now() - 30_000),
    );
    const polled = await scrape(h);
    expect(polled.value('pypi_watch_releases_total', { outcome: 'found' })).toBe(5);
    expect(polled.value('pypi_watch_releases_total', { outcome: 'queued' })).toBe(2);
    expect(polled.value('pypi_watch_releases_total', { outcome: 'waiting' })).toBe(3);
    expect(polled.value('pypi_watch_feed_gaps_total')).toBe(1);
    expect(polled.value('pypi_watch_built_then_withdrawn_total', { reason: 'yanked' })).toBe(2);
    expect(polled.value('pypi_watch_built_then_withdrawn_total', { reason: 'quarantined' })).toBe(1);
    expect(polled.value('pypi_watch_seconds_since_last_poll')).toBeGreaterThanOrEqual(30);
    expect(polled.value('pypi_watch_seconds_since_last_poll')).toBeLessThan(60);
  });

  test('concurrent scrapes each get a complete, consistent answer', async () => {
    const h = await harness();
    await h.enqueue('alpha', 'beta', 'gamma');
    const texts = await Promise.all(Array.from({ length: 5 }, async () => (await get(h, '/metrics')).text()));
    for (const text of texts) expect(parseExposition(text).value('pypi_watch_queue_jobs', { queue: 'submit', state: 'waiting' })).toBe(3);
  });
});

describe('who may reach the dashboard', () => {
  test.each([
    ['127.0.0.1', true],
    ['127.10.0.3', true],
    ['localhost', true],
    ['::1', true],
    ['[::1]', true],
    ['::ffff:127.0.0.1', true],
    ['0.0.0.0', false],
    ['::', false],
    ['10.0.0.5', false],
    ['dashboard.example.org', false],
  ])('isLoopbackHost(%s) is %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });

  test('a non-loopback host without DASHBOARD_PASSWORD is refused with a ConfigError naming what to set', async () => {
    const setup = await createTestSetup({ dashboard: { host: '0.0.0.0', port: 0 } });
    defer(() => setup.remove());
    const runtime = await openRuntime({ config: setup.config, logger: captureLogs().logger });
    defer(() => runtime.close());
    const refused = startDashboard(runtime);
    await expect(refused).rejects.toBeInstanceOf(ConfigError);
    await expect(refused).rejects.toThrow(/dashboard\.host is "0\.0\.0\.0".*DASHBOARD_PASSWORD/);
    expect(() => assertDashboardExposure({ ...setup.config, secrets: { dashboardPassword: 'x' } })).not.toThrow();
  });

  test('a non-loopback host with a password starts, behind basic auth', async () => {
    const h = await harness({ config: { dashboard: { host: '0.0.0.0' } }, env: { DASHBOARD_PASSWORD } });
    const url = new URL(h.dashboard.url);
    expect(url.hostname).toBe('0.0.0.0');
    const local = `http://127.0.0.1:${url.port}`;
    expect((await fetch(`${local}/metrics`)).status).toBe(401);
    expect((await fetch(`${local}/healthz`)).status).toBe(200);
  });
});

describe('dashboard.readOnly', () => {
  test('the board reports read-only queues and refuses retry; without it, retry works', async () => {
    const readOnly = await harness({ config: { dashboard: { readOnly: true } } });
    await readOnly.startWorkers();
    await readOnly.enqueue('fail-alpha');
    await readOnly.settled(1);
    const jobId = (await readOnly.runtime.queues.submit.getFailed())[0]?.id ?? '';
    const queues = (await (await get(readOnly, '/ui/api/queues')).json()) as {
      queues: Array<{ name: string; readOnlyMode: boolean; allowRetries: boolean }>;
    };
    expect(queues.queues.map((q) => q.name).sort()).toEqual([...QUEUE_NAMES].sort());
    for (const queue of queues.queues) expect(queue).toMatchObject({ readOnlyMode: true, allowRetries: false });
    const retry = await get(readOnly, `/ui/api/queues/submit/${encodeURIComponent(jobId)}/retry`, { method: 'PUT' });
    expect(retry.status).toBe(405);
    expect(await (await readOnly.runtime.queues.submit.getJob(jobId))?.getState()).toBe('failed');

    const writable = await harness();
    const writableQueues = (await (await get(writable, '/ui/api/queues')).json()) as {
      queues: Array<{ readOnlyMode: boolean; allowRetries: boolean }>;
    };
    for (const queue of writableQueues.queues) expect(queue).toMatchObject({ readOnlyMode: false, allowRetries: true });
  });
});
