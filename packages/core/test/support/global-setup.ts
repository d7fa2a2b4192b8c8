// Starts the test run's own redis-server on a free loopback port (never the machine's 6379).

import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../src/redis/embedded-redis.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

let server: EmbeddedRedis | undefined;
let dir: string | undefined;

function ensureRedisServerInstalled(): void {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return;
  } catch {
    // fall through to the install
  }
  const isRoot = process.getuid?.() === 0;
  if (!isRoot) {
    throw new Error('redis-server is not installed: run `sudo apt-get install -y redis-server` and retry.');
  }
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', 'redis-server'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
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
