// What the container test serves from the host: a stand-in lkp-tests repository over `git daemon` on
// loopback (cloned at image build time, with --network host), the fake PyPI reachable from containers,
// and the compose project directory (pypi-watch.yaml, .env, the farm account and result folders).

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, writeFile } from 'node:fs/promises';
import { createServer, connect, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { CONTAINERS_DIR, REPO_ROOT, run } from './podman.js';

/** A free TCP port on the host, chosen by the kernel. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A git repository holding the stand-in submit at sbin/submit, served read-only by git daemon. */
export class LkpStandinRepo {
  #daemon: ChildProcess | undefined;
  url = '';

  constructor(private readonly dir: string) {}

  async start(): Promise<void> {
    const repo = join(this.dir, 'lkp-tests');
    await mkdir(join(repo, 'sbin'), { recursive: true });
    await copyFile(join(CONTAINERS_DIR, 'lkp-standin/sbin/submit'), join(repo, 'sbin/submit'));
    // .mjs: the stand-in is ESM, and no package.json says so in this repository.
    await copyFile(join(REPO_ROOT, 'packages/core/test/fixtures/bin/submit'), join(repo, 'sbin/standin-submit.mjs'));
    await chmod(join(repo, 'sbin/submit'), 0o755);
    const git = (...args: string[]) =>
      run('git', ['-C', repo, '-c', 'user.name=container-test', '-c', 'user.email=container-test@localhost', ...args]);
    await git('init', '--quiet');
    await git('add', '-A');
    await git('commit', '--quiet', '-m', 'stand-in submit');
    // submit reads its version from the tags.
    await git('tag', 'v0.0.0-standin');
    const port = await freePort();
    this.#daemon = spawn(
      'git',
      ['daemon', '--reuseaddr', '--export-all', `--base-path=${this.dir}`, '--listen=127.0.0.1', `--port=${port}`, this.dir],
      {
        stdio: 'ignore',
      },
    );
    this.url = `git://127.0.0.1:${port}/lkp-tests`;
    const deadline = Date.now() + 10_000;
    while ((await run('git', ['ls-remote', this.url], { allowFailure: true })).code !== 0) {
      if (Date.now() > deadline) throw new Error('git daemon did not answer');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  stop(): void {
    this.#daemon?.kill('SIGTERM');
  }
}

/**
 * Forwards a port on every host interface to the fake PyPI on 127.0.0.1: containers reach the host at
 * host.containers.internal (their network's gateway), never at its loopback.
 */
export class GatewayForward {
  #server: Server | undefined;
  port = 0;

  constructor(private readonly targetPort: number) {}

  async start(): Promise<void> {
    const server = createServer((socket) => {
      const upstream = connect(this.targetPort, '127.0.0.1');
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    this.#server = server;
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
    this.port = (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}

export interface ProjectFiles {
  readonly dashboardPort: number;
  readonly dashboardPassword: string;
}

/** pypi-watch.yaml, config/update-pypi.yaml, .env, a farm account and a result tree in `dir`. */
export async function writeProjectDir(
  dir: string,
  options: { pypiUrl: string; nodeImage: string; redisImage: string },
): Promise<ProjectFiles> {
  await mkdir(join(dir, 'config'), { recursive: true });
  await copyFile(join(REPO_ROOT, 'config/update-pypi.yaml'), join(dir, 'config/update-pypi.yaml'));
  const compassDir = join(dir, 'compass-ci');
  await mkdir(join(compassDir, 'defaults'), { recursive: true });
  await writeFile(
    join(compassDir, 'defaults/account.yaml'),
    'my_name: standin-farm-user\nmy_email: standin-farm-user@localhost\nmy_account: standin-farm-user\n',
  );
  await mkdir(join(dir, 'srv'), { recursive: true });
  // Read-only mounts, read by uid 10001 in the containers.
  await run('chmod', ['-R', 'a+rX', dir]);
  await writeFile(
    join(dir, 'pypi-watch.yaml'),
    [
      'redis: { prefix: pypi-watch }',
      'dataDir: /app/var',
      `source: { type: changelog, baseUrl: "${options.pypiUrl}", every: 10s, pagePause: 100ms, timeout: 10s, retries: 2 }`,
      'filters: { requireSdist: true }',
      'submit:',
      '  command: submit',
      '  jobYaml: config/update-pypi.yaml',
      '  targets: [{ os_arch: aarch64, testbox: vm-2p8g }]',
      '  concurrency: 2',
      '  rateLimit: { max: 20, duration: 1s }',
      '  attempts: 3',
      '  backoff: 1s',
      '  timeout: 2m',
      'results: { enabled: true, pathMap: { "/srv": "/srv" } }',
      'dashboard: { host: 0.0.0.0, port: 3000 }',
      'log: { level: info }',
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
  const dashboardPort = await freePort();
  const dashboardPassword = randomBytes(12).toString('hex');
  const env = {
    REDIS_PASSWORD: randomBytes(16).toString('hex'),
    DASHBOARD_PASSWORD: dashboardPassword,
    DASHBOARD_PORT: String(dashboardPort),
    SCHED_HOST: '127.0.0.1',
    SCHED_PORT: '3000',
    AI_API_KEY: 'container-test',
    COMPASS_CI_CONFIG_DIR: compassDir,
    FARM_SRV_DIR: join(dir, 'srv'),
    NODE_IMAGE: options.nodeImage,
    REDIS_IMAGE: options.redisImage,
  };
  await writeFile(
    join(dir, '.env'),
    Object.entries(env)
      .map(([key, value]) => `${key}=${value}\n`)
      .join(''),
    { mode: 0o600 },
  );
  return { dashboardPort, dashboardPassword };
}
