// The whole pipeline on a 3-master Redis Cluster: the `{prefix}` hash tag keeps every key of
// BullMQ and of ours in one slot, and worker processes scale across the cluster connection.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../../packages/core/src/redis/embedded-redis.js';
import { FakePypi, readSubmitCalls, waitFor, runCli, spawnCli, stopCli, createCliSetup } from '@pypi-watch/test-utils';

const run = promisify(execFile);
// Every node wants the same user and password (an embedded redis-server always has them), so one URL reaches them all.
const PASSWORD = randomBytes(32).toString('hex');
let dir: string;
const nodes: EmbeddedRedis[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pypi-watch-cluster-'));
  for (let i = 0; i < 3; i++) {
    const nodeDir = join(dir, `node-${i}`);
    nodes.push(
      await startEmbeddedRedis({
        dir: nodeDir,
        appendOnly: false,
        password: PASSWORD,
        extraArgs: ['--cluster-enabled', 'yes', '--cluster-config-file', join(nodeDir, 'nodes.conf'), '--cluster-node-timeout', '3000'],
      }),
    );
  }
  await run('redis-cli', [
    '--user',
    'pypi-watch',
    '-a',
    PASSWORD,
    '--no-auth-warning',
    '--cluster',
    'create',
    ...nodes.map((n) => `127.0.0.1:${n.port}`),
    '--cluster-replicas',
    '0',
    '--cluster-yes',
  ]);
  await waitFor(
    async () => {
      const infos = await Promise.all(
        nodes.map((n) =>
          run('redis-cli', ['--user', 'pypi-watch', '-a', PASSWORD, '--no-auth-warning', '-p', String(n.port), 'cluster', 'info']),
        ),
      );
      return infos.every((info) => info.stdout.includes('cluster_state:ok'));
    },
    { what: 'cluster_state:ok on every node', timeoutMs: 20_000, intervalMs: 200 },
  );
}, 60_000);

afterAll(async () => {
  for (const node of nodes) await node.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('Redis Cluster', () => {
  test('poll, enqueue and two worker processes run through a redis+cluster:// URL', async () => {
    const pypi = new FakePypi();
    const baseUrl = await pypi.start();
    const url = `redis+cluster://pypi-watch:${PASSWORD}@127.0.0.1:${nodes[0]?.port},127.0.0.1:${nodes[1]?.port}`;
    const setup = await createCliSetup(
      { source: { type: 'changelog', baseUrl, pagePause: 0 }, submit: { concurrency: 4, rateLimit: { max: 1000 } } },
      { embedded: true },
    );
    const env = { ...setup.env, REDIS_URL: url };
    const started = Date.now();
    const workers = [1, 2].map(() => spawnCli(['worker', '--queues', 'submit', '--config', setup.configFile], { env }));
    try {
      expect((await runCli(['poll', '--config', setup.configFile], { env })).code).toBe(0);
      const published = pypi.publishGenerated(60);
      const poll = await runCli(['poll', '--json', '--config', setup.configFile], { env });
      expect(poll.code, poll.stderr).toBe(0);
      expect(JSON.parse(poll.stdout)).toMatchObject({ queued: 60 });
      const enqueue = await runCli(['enqueue', 'manual-one==1.0', 'manual-two==2.0', '--config', setup.configFile], { env });
      expect(enqueue.code, enqueue.stderr).toBe(0);

      await waitFor(async () => (await readSubmitCalls(setup.recordFile)).length >= 62, {
        timeoutMs: 90_000,
        intervalMs: 250,
        what: '62 submits',
      });
      const calls = await readSubmitCalls(setup.recordFile);
      const names = calls.map((c) => c.argv[1]?.replace('repo_addr=', ''));
      expect(new Set(names)).toEqual(new Set([...published.map((r) => r.name), 'manual-one', 'manual-two']));
      // Both processes took part (their per-slot HOMEs are named after the process).
      expect(new Set(calls.map((c) => c.home.split('/').at(-2))).size).toBe(2);

      const status = await runCli(['status', '--json', '--config', setup.configFile], { env });
      expect(status.code, status.stderr).toBe(0);
      await waitFor(
        async () => {
          const s = await runCli(['status', '--json', '--config', setup.configFile], { env });
          return (JSON.parse(s.stdout) as { queues: { submit: { completed: number } } }).queues.submit.completed === 62;
        },
        { timeoutMs: 60_000, intervalMs: 500, what: '62 completed' },
      );

      // Every key of this deployment hashes to the one slot of its hash tag.
      const cluster = new Cluster([{ host: '127.0.0.1', port: nodes[0]?.port ?? 0 }], {
        redisOptions: { username: 'pypi-watch', password: PASSWORD },
      });
      await cluster.ping();
      const keys: string[] = [];
      for (const node of cluster.nodes('master')) keys.push(...(await node.keys(`{${setup.prefix}}*`)));
      const slots = new Set(await Promise.all(keys.map((key) => cluster.cluster('KEYSLOT', key))));
      expect(keys.length).toBeGreaterThan(10);
      expect(slots.size).toBe(1);
      cluster.disconnect();
      const figures = {
        masters: nodes.length,
        submits: calls.length,
        workerProcesses: 2,
        keys: keys.length,
        slots: slots.size,
        wallMs: Date.now() - started,
      };
      console.log(`CLUSTER_FIGURES ${JSON.stringify(figures)}`);
    } finally {
      for (const worker of workers) expect(await stopCli(worker)).toBe(0);
      await pypi.stop();
      await setup.remove();
    }
  }, 240_000);
});
