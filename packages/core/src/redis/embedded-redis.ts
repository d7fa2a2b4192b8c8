// Runs a private `redis-server` child for single-machine use (no `redis.url`) and for tests.

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { RedisNotInstalledError, RedisUnavailableError } from '../errors.js';
import { findFreePort } from './free-port.js';

export interface EmbeddedRedisOptions {
  /** Folder for the AOF files, the log and `endpoint.json`. Created if missing. */
  readonly dir: string;
  /** Append-only persistence, so queued jobs survive a restart. @defaultValue true */
  readonly appendOnly?: boolean;
  /** Port to bind on 127.0.0.1. @defaultValue a free port */
  readonly port?: number;
  /** How long to wait for the server to answer PING. @defaultValue 10000 (ms) */
  readonly startTimeoutMs?: number;
  /** The `redis-server` executable. @defaultValue `redis-server` from PATH */
  readonly executable?: string;
  /** Extra `--key value` arguments, e.g. `['--cluster-enabled', 'yes']`. */
  readonly extraArgs?: readonly string[];
}

export interface EmbeddedRedis {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Stops the server (SIGTERM: it flushes the AOF first) and waits for it to exit. */
  stop(): Promise<void>;
  /** Kills the server without letting it flush (for crash tests). */
  kill(): Promise<void>;
}

/** What a running embedded server publishes so other commands on the same data dir can share it. */
interface EndpointFile {
  readonly port: number;
  readonly pid: number;
}

const ENDPOINT_FILE = 'endpoint.json';
const PORT_ATTEMPTS = 5;

export async function startEmbeddedRedis(options: EmbeddedRedisOptions): Promise<EmbeddedRedis> {
  await mkdir(options.dir, { recursive: true });
  let lastError: unknown;
  for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
    const port = options.port ?? (await findFreePort());
    try {
      return await launch(options, port);
    } catch (error) {
      lastError = error;
      // A fixed port that fails will fail again; a free-port race is worth another try.
      if (options.port !== undefined || error instanceof RedisNotInstalledError) {
        throw error;
      }
    }
  }
  throw lastError;
}

async function launch(options: EmbeddedRedisOptions, port: number): Promise<EmbeddedRedis> {
  const executable = options.executable ?? 'redis-server';
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', options.dir,
    '--appendonly', options.appendOnly === false ? 'no' : 'yes',
    '--appendfsync', 'everysec',
    '--save', '',
    '--daemonize', 'no',
    '--protected-mode', 'yes',
    // BullMQ needs its keys kept: evicting them would lose jobs silently.
    '--maxmemory-policy', 'noeviction',
    '--logfile', join(options.dir, 'redis.log'),
    ...(options.extraArgs ?? []),
  ];
  const child = spawn(executable, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const spawnError = once(child, 'spawn').then(
    () => undefined,
    (error: NodeJS.ErrnoException) => error,
  );
  const failure = await spawnError;
  if (failure) {
    if (failure.code === 'ENOENT') {
      throw new RedisNotInstalledError(
        `\`${executable}\` is not on PATH. Install it (Debian/Ubuntu: \`apt-get install redis-server\`) ` +
          'or point pypi-watch at a Redis server with REDIS_URL or `redis.url`.',
        { cause: failure },
      );
    }
    throw new RedisUnavailableError(`could not start \`${executable}\`: ${failure.message}`, { cause: failure });
  }
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const url = `redis://127.0.0.1:${port}`;
  try {
    await waitForPing(url, child, options.startTimeoutMs ?? 10_000);
  } catch (error) {
    child.kill('SIGKILL');
    const log = await readFile(join(options.dir, 'redis.log'), 'utf8').catch(() => '');
    const detail = (stderr + log).trim().split('\n').slice(-3).join(' | ');
    throw new RedisUnavailableError(`embedded redis-server on port ${port} did not start: ${detail || String(error)}`, {
      cause: error,
    });
  }
  const endpoint: EndpointFile = { port, pid: child.pid ?? 0 };
  await writeFile(join(options.dir, ENDPOINT_FILE), JSON.stringify(endpoint));
  const exited = once(child, 'exit');
  const stopWith = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      await exited;
    }
    await rm(join(options.dir, ENDPOINT_FILE), { force: true });
  };
  return {
    url,
    port,
    pid: child.pid ?? 0,
    stop: () => stopWith('SIGTERM'),
    kill: () => stopWith('SIGKILL'),
  };
}

async function waitForPing(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    if (await ping(url)) return;
    if (Date.now() > deadline) throw new Error(`no answer to PING within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** One PING with no retries; true when the server answered. */
export async function ping(url: string, timeoutMs = 1000): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/**
 * The URL of an embedded server that another pypi-watch process already runs on this data dir
 * (e.g. `pypi-watch status` next to `pypi-watch start`), or undefined when none answers.
 */
export async function findRunningEmbeddedRedis(dir: string): Promise<string | undefined> {
  let endpoint: EndpointFile;
  try {
    endpoint = JSON.parse(await readFile(join(dir, ENDPOINT_FILE), 'utf8')) as EndpointFile;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(endpoint.port)) return undefined;
  const url = `redis://127.0.0.1:${endpoint.port}`;
  return (await ping(url)) ? url : undefined;
}
