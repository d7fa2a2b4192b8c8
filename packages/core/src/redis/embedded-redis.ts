// Runs a private `redis-server` child for single-machine use (no `redis.url`) and for tests.
//
// Other local users must not reach it: it listens on 127.0.0.1 only, wants a password that is
// fresh on every start and lives only in 0600 files of a 0700 folder (redis.conf, endpoint.json),
// never on the command line, which every user can read in `ps` and /proc/PID/cmdline.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from './ioredis.js';
import { ConfigError, RedisNotInstalledError, RedisUnavailableError } from '../errors.js';
import { EMBEDDED_REDIS_USER, embeddedRedisUrl, endpointPath, writeEndpoint } from './embedded-endpoint.js';
import { processAlive } from '../process/process-alive.js';
import { parseInfo } from './embedded-redis-probe.js';
import { findFreePort } from './free-port.js';
import { ensurePrivateDir, writePrivateFile } from './private-file.js';
import { renderRedisConfig, type RedisConfigEntries } from './redis-config-file.js';

export { findRunningEmbeddedRedis, probeEmbeddedRedis, type EmbeddedRedisProbe } from './embedded-redis-probe.js';

export interface EmbeddedRedisOptions {
  /** Folder for the AOF files, the log, `redis.conf` and `endpoint.json`. Created if missing, made 0700. */
  readonly dir: string;
  /** Append-only persistence, so queued jobs survive a restart. @defaultValue true */
  readonly appendOnly?: boolean;
  /** Port to bind on 127.0.0.1. @defaultValue a free port */
  readonly port?: number;
  /** How long to wait for the server to answer PING. @defaultValue 10000 (ms) */
  readonly startTimeoutMs?: number;
  /** The `redis-server` executable. @defaultValue `redis-server` from PATH */
  readonly executable?: string;
  /** Extra `--key value` arguments, e.g. `['--cluster-enabled', 'yes']`. On the command line: nothing secret. */
  readonly extraArgs?: readonly string[];
  /**
   * The password to require: give an earlier run's `password` to restart under clients that hold
   * its URL. 16-512 printable ASCII characters, no spaces.
   * @defaultValue 32 random bytes as hex, fresh on every start
   */
  readonly password?: string;
}

export interface EmbeddedRedis {
  /** `redis://pypi-watch:PASSWORD@127.0.0.1:PORT`: it carries the password, so log it through `redactRedisUrl`. */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** The password of this run's ACL user `pypi-watch` (what clients log in as). */
  readonly password: string;
  /** INFO server `run_id` of this run, also in `endpoint.json`: what proves the server is this one. */
  readonly runId: string;
  /** False once the server process has exited, whoever stopped it. */
  isRunning(): boolean;
  /** Stops the server (SIGTERM: it flushes the AOF first) and waits for it to exit. */
  stop(): Promise<void>;
  /** Kills the server without letting it flush (for crash tests). */
  kill(): Promise<void>;
}

const CONFIG_FILE = 'redis.conf';
export { EMBEDDED_REDIS_USER };
const PORT_ATTEMPTS = 5;

export async function startEmbeddedRedis(options: EmbeddedRedisOptions): Promise<EmbeddedRedis> {
  if (options.password !== undefined && !/^[\x21-\x7e]{16,512}$/.test(options.password)) {
    throw new ConfigError('Expected the embedded Redis `password` option to be 16-512 printable ASCII characters without spaces');
  }
  await ensurePrivateDir(options.dir);
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

function configEntries(options: EmbeddedRedisOptions, port: number, password: string): RedisConfigEntries {
  return [
    ['port', String(port)],
    ['bind', '127.0.0.1'],
    ['protected-mode', 'yes'],
    // Clients log in as a named ACL user: ioredis then sends `AUTH pypi-watch <password>` on every
    // reconnect, which any other redis-server refuses (WRONGPASS), while a bare `AUTH <password>`
    // to an open server only earns a warning and the connection carries on. The default user keeps
    // every permission (Redis 7.0 replays MULTI/EXEC from the AOF as the default user and drops
    // them, i.e. BullMQ's jobs, if it may not run them) but sits behind a second random password
    // that nothing ever sends.
    ['user', 'default', 'on', `>${randomBytes(32).toString('hex')}`, '~*', '&*', '+@all'],
    ['user', EMBEDDED_REDIS_USER, 'on', `>${password}`, '~*', '&*', '+@all'],
    ['dir', options.dir],
    ['appendonly', options.appendOnly === false ? 'no' : 'yes'],
    ['appendfsync', 'everysec'],
    ['save', ''],
    ['daemonize', 'no'],
    // BullMQ needs its keys kept: evicting them would lose jobs silently.
    ['maxmemory-policy', 'noeviction'],
    ['logfile', join(options.dir, 'redis.log')],
  ];
}

async function launch(options: EmbeddedRedisOptions, port: number): Promise<EmbeddedRedis> {
  const executable = options.executable ?? 'redis-server';
  const password = options.password ?? randomBytes(32).toString('hex');
  const configFile = join(options.dir, CONFIG_FILE);
  await writePrivateFile(configFile, renderRedisConfig(configEntries(options, port, password)));
  const child = spawn(executable, [configFile, ...(options.extraArgs ?? [])], { stdio: ['ignore', 'ignore', 'pipe'] });
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
  const url = embeddedRedisUrl(port, password);
  const pid = child.pid ?? 0;
  let runId: string;
  try {
    await waitForPing(url, child, options.startTimeoutMs ?? 10_000);
    runId = await readRunId(url, pid);
  } catch (error) {
    child.kill('SIGKILL');
    const log = await readFile(join(options.dir, 'redis.log'), 'utf8').catch(() => '');
    const detail = (stderr + log).trim().split('\n').slice(-3).join(' | ');
    throw new RedisUnavailableError(`embedded redis-server on port ${port} did not start: ${detail || String(error)}`, {
      cause: error,
    });
  }
  await writeEndpoint(options.dir, { port, pid, runId, password });
  const exited = once(child, 'exit');
  // A zombie (exited, not yet reaped) counts as gone: its port is already free for anyone.
  const isRunning = (): boolean => child.exitCode === null && child.signalCode === null && processAlive(pid, { otherUsers: 'gone' });
  const stopWith = async (signal: NodeJS.Signals): Promise<void> => {
    if (isRunning()) {
      child.kill(signal);
      await exited;
    }
    await rm(endpointPath(options.dir), { force: true });
  };
  return { url, port, pid, password, runId, isRunning, stop: () => stopWith('SIGTERM'), kill: () => stopWith('SIGKILL') };
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

/**
 * The run_id of the server we just started, checked to be our child's: whoever answered PING on
 * this port must also be the process we spawned (a port race could have let another one in).
 */
async function readRunId(url: string, pid: number): Promise<string> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  client.on('error', () => {});
  try {
    await client.connect();
    const fields = parseInfo(await client.info('server'));
    const runId = fields.get('run_id') ?? '';
    if (!/^[0-9a-f]{40}$/.test(runId)) throw new Error('INFO server shows no run_id');
    if (fields.get('process_id') !== String(pid)) throw new Error(`the server answering is not process ${pid}`);
    return runId;
  } finally {
    client.disconnect();
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
