// What one /healthz costs Redis, counted with INFO commandstats on a private redis-server: a fixed handful of
// commands, however many releases the dedupe store holds.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRuntime, QUEUE_NAMES, startEmbeddedRedis, type EmbeddedRedis, type Runtime } from '@pypi-watch/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startDashboard, type RunningDashboard } from '../src/index.js';
import { captureLogs, createTestSetup, type TestSetup } from '@pypi-watch/test-utils';

const REQUESTS = 20;

let dir: string;
let server: EmbeddedRedis;
let setup: TestSetup;
let runtime: Runtime;
let dashboard: RunningDashboard;
let admin: Redis;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pypi-watch-health-cost-'));
  server = await startEmbeddedRedis({ dir, appendOnly: false });
  setup = await createTestSetup({ redis: { url: server.url }, dashboard: { port: 0 } });
  runtime = await openRuntime({ config: setup.config, logger: captureLogs().logger });
  dashboard = await startDashboard(runtime);
  admin = new Redis(server.url);
}, 60_000);

afterAll(async () => {
  admin?.disconnect();
  await dashboard?.close();
  await runtime?.close();
  await server?.stop();
  await setup?.remove();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Calls per command since the server started, INFO and CONFIG (this counting itself) left out. */
async function commandCalls(): Promise<Map<string, number>> {
  const info = await admin.info('commandstats');
  const calls = new Map<string, number>();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    const name = match[1] ?? '';
    if (name !== 'info' && !name.startsWith('config')) calls.set(name, Number(match[2]));
  }
  return calls;
}

/** Redis commands `REQUESTS` sequential health checks cause, per request, by command. */
async function perHealthRequest(): Promise<{ total: number; byCommand: Record<string, number> }> {
  const get = () => fetch(new URL('/healthz', dashboard.url)).then(async (r) => [r.status, await r.json()] as const);
  expect((await get())[0]).toBe(200); // warm: script loads and connections happen once, not per request
  const before = await commandCalls();
  for (let i = 0; i < REQUESTS; i++) expect((await get())[0]).toBe(200);
  const after = await commandCalls();
  const byCommand: Record<string, number> = {};
  for (const [name, calls] of after) {
    const delta = (calls - (before.get(name) ?? 0)) / REQUESTS;
    if (delta > 0) byCommand[name] = delta;
  }
  return { total: Object.values(byCommand).reduce((a, b) => a + b, 0), byCommand };
}

describe('/healthz cost in Redis', () => {
  test('a fixed handful of commands per request, the same with an empty and a full dedupe store', async () => {
    const empty = await perHealthRequest();

    await runtime.stores.dedupe.markSeen(Array.from({ length: 20_000 }, (_, i) => `project-${i}==1.0.${i}`));
    const full = await perHealthRequest();
    console.log('redis commands per /healthz', { empty, full });

    // From the dashboard: PING, one count script per queue, the two metric hashes. Inside each
    // script (commandstats counts those too): one LLEN or ZCARD per job state, a LINDEX. All O(1).
    expect(Object.keys(empty.byCommand).sort()).toEqual(expect.arrayContaining(['evalsha', 'ping', 'hgetall']));
    for (const name of Object.keys(empty.byCommand))
      expect(['evalsha', 'ping', 'hgetall', 'llen', 'zcard', 'lindex', 'exists']).toContain(name);
    expect(empty.byCommand.evalsha).toBeLessThanOrEqual(QUEUE_NAMES.length);
    expect(empty.byCommand.hgetall).toBeLessThanOrEqual(2);
    expect(empty.total).toBeLessThanOrEqual(12 * QUEUE_NAMES.length + 3);
    expect(full).toEqual(empty);
  }, 60_000);
});
