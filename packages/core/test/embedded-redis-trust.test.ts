// The embedded redis-server is for this user only: a password no other user can read, and a
// stale endpoint file never makes a pypi-watch command trust whatever now listens on its port.

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { stringify } from 'yaml';
import { afterEach, describe, expect, test } from 'vitest';
import { loadConfig, type Config } from '../src/config/load-config.js';
import { UntrustedRedisError } from '../src/errors.js';
import { findRunningEmbeddedRedis, probeEmbeddedRedis, startEmbeddedRedis, type EmbeddedRedis } from '../src/redis/embedded-redis.js';
import { findFreePort } from '../src/redis/free-port.js';
import { embeddedRedisDir, openRuntime } from '../src/runtime.js';
import { resp, startFakeRedis, captureLogs, waitFor } from '@pypi-watch/test-utils';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(prefix = 'pypi-watch-trust-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function started(dir: string): Promise<EmbeddedRedis> {
  const server = await startEmbeddedRedis({ dir, appendOnly: false });
  cleanups.push(() => server.stop());
  return server;
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGKILLs the server behind its back, so its endpoint file stays behind: a stale file. */
async function crash(server: EmbeddedRedis): Promise<void> {
  process.kill(server.pid, 'SIGKILL');
  await waitFor(() => !running(server.pid), { what: `pid ${server.pid} to be gone` });
}

/** A redis-server of someone else's on `port`: no password unless `extraArgs` set one. */
async function plainRedisServer(port: number, dir: string, extraArgs: readonly string[] = []): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extraArgs];
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  });
  await waitFor(
    async () => {
      const probe = new Redis({ port, lazyConnect: true, enableReadyCheck: false, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      probe.on('error', () => {});
      try {
        await probe.connect();
        return true;
      } catch {
        return false;
      } finally {
        probe.disconnect();
      }
    },
    { what: `a redis-server on port ${port}` },
  );
  return child;
}

/** Keys in a server we do not own (`password` if it has one). */
async function keyCount(port: number, password?: string): Promise<number> {
  const client = new Redis({ port, ...(password ? { password } : {}) });
  try {
    return await client.dbsize();
  } finally {
    client.disconnect();
  }
}

async function embeddedConfig(dataDir: string): Promise<Config> {
  const configFile = join(dataDir, '..', 'pypi-watch.yaml');
  await writeFile(configFile, stringify({ redis: { prefix: 'trust-test' }, dataDir }));
  return loadConfig({ file: configFile, env: {} });
}

describe('embedded redis-server access', () => {
  test('refuses a client without its password (NOAUTH) or with a wrong one; its own URL carries the password', async () => {
    const server = await started(await tempDir());
    const anonymous = new Redis({ port: server.port, enableReadyCheck: false, maxRetriesPerRequest: 0 });
    anonymous.on('error', () => {});
    await expect(anonymous.ping()).rejects.toThrow(/NOAUTH/);
    await expect(anonymous.call('AUTH', '0'.repeat(64))).rejects.toThrow(/WRONGPASS|invalid password/);
    await expect(anonymous.set('planted', 'x')).rejects.toThrow(/NOAUTH/);
    anonymous.disconnect();

    const owner = new Redis(server.url);
    expect(await owner.ping()).toBe('PONG');
    expect(await owner.dbsize()).toBe(0);
    owner.disconnect();
  });

  test('keeps the password in 0600 files in a 0700 folder, and off its command line', async () => {
    // A folder name that needs quoting in redis.conf (a newline would start a directive), left 0755
    // with a 0644 endpoint file by an older version.
    const dir = join(await tempDir(), 'redis dir "quoted" \\ back\nrequirepass x');
    await mkdir(dir, { mode: 0o755 });
    await chmod(dir, 0o755);
    await writeFile(join(dir, 'endpoint.json'), JSON.stringify({ port: 1, pid: 1 }), { mode: 0o644 });
    const server = await started(dir);

    expect(server.password).toMatch(/^[0-9a-f]{64}$/);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, 'endpoint.json'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'redis.conf'))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(dir, 'redis.conf'), 'utf8')).toContain(server.password);
    const cmdline = await readFile(`/proc/${server.pid}/cmdline`, 'utf8');
    expect(cmdline).not.toContain(server.password);
    // Every other setting came through the config file too.
    const client = new Redis(server.url);
    expect(await client.config('GET', 'dir')).toEqual(['dir', dir]);
    expect(await client.config('GET', 'bind')).toEqual(['bind', '127.0.0.1']);
    expect(await client.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
    client.disconnect();
  });

  test('a fresh password on every start, so one a stale port ever saw is worth nothing later', async () => {
    const dir = await tempDir();
    const first = await startEmbeddedRedis({ dir, appendOnly: false });
    await first.stop();
    const second = await started(dir);
    expect(second.password).toMatch(/^[0-9a-f]{64}$/);
    expect(second.password).not.toBe(first.password);
    expect(await findRunningEmbeddedRedis(dir)).toBe(second.url);
  });
});

describe('a stale endpoint file (our server died, something else listens on its port)', () => {
  test('a plain redis-server without a password is not trusted', async () => {
    const dir = await tempDir();
    const server = await started(dir);
    await crash(server);
    await plainRedisServer(server.port, await tempDir());

    expect(await findRunningEmbeddedRedis(dir)).toBeUndefined();
    expect(await probeEmbeddedRedis(dir)).toMatchObject({
      state: 'untrusted',
      port: server.port,
      reason: expect.stringMatching(/without a password/),
    });
  });

  test('a server that answers PONG and OK to anything is not trusted', async () => {
    const dir = await tempDir();
    const server = await started(dir);
    await crash(server);
    const fake = await startFakeRedis((args) => (args[0]?.toUpperCase() === 'PING' ? resp.simple('PONG') : resp.simple('OK')), server.port);
    cleanups.push(() => fake.close());

    expect(await findRunningEmbeddedRedis(dir)).toBeUndefined();
    expect(await probeEmbeddedRedis(dir)).toMatchObject({ state: 'untrusted', reason: expect.stringMatching(/without a password/) });
  });

  test('a redis-server with a password of its own is not trusted', async () => {
    const dir = await tempDir();
    const server = await started(dir);
    await crash(server);
    await plainRedisServer(server.port, await tempDir(), ['--requirepass', 'f'.repeat(64)]);

    expect(await probeEmbeddedRedis(dir)).toMatchObject({ state: 'untrusted', reason: expect.stringMatching(/refuses the password/) });
    expect(await findRunningEmbeddedRedis(dir)).toBeUndefined();
  });

  test('a server that knows (or accepts) our password but is another process is not trusted: its run_id differs', async () => {
    const dir = await tempDir();
    const server = await started(dir);
    await crash(server);
    // A real redis-server set up with our very user and password: only the identity recorded at start tells it apart.
    const impostor = await plainRedisServer(server.port, await tempDir(), [
      '--user',
      'default',
      'off',
      '--user',
      'pypi-watch',
      'on',
      `>${server.password}`,
      '~*',
      '&*',
      '+@all',
    ]);
    expect(await probeEmbeddedRedis(dir)).toMatchObject({ state: 'untrusted', reason: expect.stringMatching(/run_id/) });
    impostor.kill('SIGKILL');
    await once(impostor, 'exit');

    // An impostor that plays redis's AUTH game (refuse no password and a wrong one, accept the next) and invents a run_id.
    const mimic = await startFakeRedis((args, { commands }) => {
      const name = args[0]?.toUpperCase();
      if (name === 'AUTH')
        return commands.filter((c) => c[0]?.toUpperCase() === 'AUTH').length === 1
          ? resp.error('WRONGPASS invalid username-password pair')
          : resp.simple('OK');
      if (name === 'INFO')
        return resp.bulk(`# Server\r\nrun_id:${'a'.repeat(40)}\r\nprocess_id:${server.pid}\r\ntcp_port:${server.port}\r\n`);
      return resp.error('NOAUTH Authentication required.');
    }, server.port);
    cleanups.push(() => mimic.close());
    expect(await probeEmbeddedRedis(dir)).toMatchObject({ state: 'untrusted', reason: expect.stringMatching(/run_id/) });
    expect(await findRunningEmbeddedRedis(dir)).toBeUndefined();
  });

  test('a port where nothing listens means no server runs (so a command may start one)', async () => {
    const dir = await tempDir();
    const server = await started(dir);
    await crash(server);
    expect(await probeEmbeddedRedis(dir)).toEqual({ state: 'none' });
  });
});

describe('openRuntime on a stale endpoint file', () => {
  async function staleBehindPlainRedis(): Promise<{ config: Config; dir: string; impostorPort: number }> {
    const root = await tempDir();
    const config = await embeddedConfig(join(root, 'var'));
    const dir = embeddedRedisDir(config);
    const server = await started(dir);
    await crash(server);
    await plainRedisServer(server.port, await tempDir());
    return { config, dir, impostorPort: server.port };
  }

  test('a command refuses, saying which file, which port and why', async () => {
    const { config, dir, impostorPort } = await staleBehindPlainRedis();
    const error = await openRuntime({ config, logger: captureLogs().logger }).then(
      async (runtime) => {
        await runtime.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UntrustedRedisError);
    expect((error as UntrustedRedisError).code).toBe('ERR_REDIS_UNTRUSTED');
    const message = (error as Error).message;
    expect(message).toContain(join(dir, 'endpoint.json'));
    expect(message).toContain(`port ${impostorPort}`);
    expect(message).toMatch(/not the redis-server pypi-watch started/);
    expect(message).toMatch(/without a password/);
    expect(await keyCount(impostorPort)).toBe(0);
  });

  test('`start` (replaceStaleEmbeddedRedis) runs a fresh server on another port and never writes to the impostor', async () => {
    const { config, dir, impostorPort } = await staleBehindPlainRedis();
    const logs = captureLogs();
    const runtime = await openRuntime({ config, logger: logs.logger, replaceStaleEmbeddedRedis: true });
    cleanups.push(() => runtime.close());
    expect(runtime.embedded).toBeDefined();
    expect(runtime.embedded?.port).not.toBe(impostorPort);
    await runtime.queues.submit.add('probe', { name: 'probe' });
    await runtime.redis.set('{trust-test}:probe', '1');

    const endpoint = JSON.parse(await readFile(join(dir, 'endpoint.json'), 'utf8')) as { port: number; password: string };
    expect(endpoint.port).toBe(runtime.embedded?.port);
    expect(await probeEmbeddedRedis(dir)).toMatchObject({ state: 'ours' });
    expect(await keyCount(impostorPort)).toBe(0);
    expect(logs.lines).toContainEqual(
      expect.objectContaining({ level: 40, staleEndpoint: { port: impostorPort, reason: expect.stringMatching(/without a password/) } }),
    );
    expect(logs.text()).not.toContain(endpoint.password);
  });

  test('`start` still refuses when the process the endpoint file names is running', async () => {
    const root = await tempDir();
    const config = await embeddedConfig(join(root, 'var'));
    const dir = embeddedRedisDir(config);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const impostorPort = await findFreePort();
    const impostor = await plainRedisServer(impostorPort, await tempDir());
    // It may be our own redis-server, alive but not answering as it should: never start a second one on its files.
    await writeFile(
      join(dir, 'endpoint.json'),
      JSON.stringify({ port: impostorPort, pid: impostor.pid, runId: 'b'.repeat(40), password: 'c'.repeat(64) }),
      { mode: 0o600 },
    );
    const error = await openRuntime({ config, logger: captureLogs().logger, replaceStaleEmbeddedRedis: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UntrustedRedisError);
    expect((error as Error).message).toContain(`process ${impostor.pid}`);
    expect((error as Error).message).toMatch(/still running/);
  });
});

describe('when the embedded server dies under a running command', () => {
  /** Crashes the server, puts an open redis-server on its port, and tries to write through `runtime`. */
  async function writeAfterImpostor(
    runtime: Awaited<ReturnType<typeof openRuntime>>,
    server: { port: number; pid: number },
  ): Promise<unknown> {
    process.kill(server.pid, 'SIGKILL');
    await waitFor(() => !running(server.pid), { what: `pid ${server.pid} to be gone` });
    await plainRedisServer(server.port, await tempDir());
    // Longer than the reconnect backoff's first steps, so a client that reconnects has done so.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    return Promise.race([
      runtime.redis.set('{trust-test}:after-crash', '1').then(
        () => 'written',
        (e: unknown) => e,
      ),
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 3000)),
    ]);
  }

  test('the process that started it does not reconnect to whatever listens on its port next', async () => {
    const root = await tempDir();
    const logs = captureLogs();
    const runtime = await openRuntime({ config: await embeddedConfig(join(root, 'var')), logger: logs.logger });
    cleanups.push(() => runtime.close());
    const server = runtime.embedded;
    if (!server) throw new Error('expected an embedded server');
    const outcome = await writeAfterImpostor(runtime, server);
    expect(outcome).toBeInstanceOf(Error);
    expect(await keyCount(server.port)).toBe(0);
    expect(logs.lines).toContainEqual(expect.objectContaining({ level: 50, redis: { port: server.port } }));
  });

  test('a command that joined it does not reconnect either', async () => {
    const root = await tempDir();
    const config = await embeddedConfig(join(root, 'var'));
    const server = await started(embeddedRedisDir(config));
    const runtime = await openRuntime({ config, logger: captureLogs().logger });
    cleanups.push(() => runtime.close());
    expect(runtime.embedded).toBeUndefined();
    const outcome = await writeAfterImpostor(runtime, server);
    expect(outcome).toBeInstanceOf(Error);
    expect(await keyCount(server.port)).toBe(0);
  });
});
