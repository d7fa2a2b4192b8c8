// Starts the test run's own redis-server on a free loopback port (never the machine's 6379).

import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedRedis, type EmbeddedRedis } from '@pypi-watch/core';
// The typing of `project.provide('redisUrl', …)`, declared beside inject('redisUrl').
import type {} from './test-redis.js';

let server: EmbeddedRedis | undefined;
let dir: string | undefined;

function ensureRedisServerInstalled(): void {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
  } catch {
    // `pnpm test` installs it first (test/install-system-packages.sh); a test never runs apt-get.
    throw new Error(
      'redis-server is not installed: run `bash test/install-system-packages.sh` (or `sudo apt-get install -y redis-server`), or use ' +
        '`pnpm test`.',
    );
  }
}

export async function setup(project: TestProject): Promise<void> {
  ensureRedisServerInstalled();
  dir = await mkdtemp(join(tmpdir(), 'pypi-watch-test-redis-'));
  server = await startEmbeddedRedis({ dir, appendOnly: false });
  project.provide('redisUrl', server.url);
}

export async function teardown(): Promise<void> {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}
