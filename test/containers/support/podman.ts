// podman, `podman system service` and docker-compose 1.29 for the container test: commands run without
// a shell, with this folder's containers.conf (runc, explicit ulimits), and a private API socket.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CONTAINERS_DIR = dirname(dirname(fileURLToPath(import.meta.url)));
export const REPO_ROOT = dirname(dirname(CONTAINERS_DIR));
/** runc and ulimits podman accepts on this kernel; the machine's own containers.conf stays untouched. */
export const CONTAINERS_ENV = { CONTAINERS_CONF: join(CONTAINERS_DIR, 'containers.conf') };

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

export interface RunOptions {
  readonly env?: Record<string, string>;
  readonly cwd?: string;
  /** Resolve with the non-zero code instead of throwing. */
  readonly allowFailure?: boolean;
  readonly timeoutMs?: number;
}

/** Runs a command to its end and collects its output; throws on a non-zero exit unless allowFailure. */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? REPO_ROOT,
      env: { ...process.env, ...CONTAINERS_ENV, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const result = { code, stdout, stderr, ms: Date.now() - started };
      if (code !== 0 && !options.allowFailure) {
        reject(new Error(`${command} ${args.join(' ')} exited ${String(code)}\n${stderr.slice(-4000)}${stdout.slice(-2000)}`));
      } else resolve(result);
    });
  });
}

/** Why containers cannot run here, or undefined when podman starts one. */
export async function whyNoContainers(image: string): Promise<string | undefined> {
  const which = await run('sh', ['-c', 'command -v podman && command -v docker-compose && command -v mmdebstrap'], { allowFailure: true });
  if (which.code !== 0) return 'podman, docker-compose or mmdebstrap is not installed';
  const probe = await run('podman', ['run', '--rm', image, 'true'], { allowFailure: true, timeoutMs: 60_000 });
  return probe.code === 0 ? undefined : `podman cannot start a container: ${probe.stderr.trim().split('\n').at(-1) ?? ''}`;
}

/** `podman system service` on a socket of our own, for docker-compose (DOCKER_HOST). */
export class PodmanService {
  readonly socket: string;
  #child: ChildProcess | undefined;

  constructor(dir: string) {
    this.socket = join(dir, 'podman.sock');
  }

  get dockerHost(): string {
    return `unix://${this.socket}`;
  }

  async start(): Promise<void> {
    this.#child = spawn('podman', ['system', 'service', '--time', '0', this.dockerHost], {
      env: { ...process.env, ...CONTAINERS_ENV },
      stdio: 'ignore',
    });
    const deadline = Date.now() + 20_000;
    while (!existsSync(this.socket)) {
      if (Date.now() > deadline) throw new Error('podman system service did not open its socket');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}

/** docker-compose 1.29 on the repository's docker-compose.yml, a project directory of the test's own. */
export class ComposeProject {
  constructor(
    readonly name: string,
    readonly projectDir: string,
    readonly service: PodmanService,
  ) {}

  run(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    return run(
      'docker-compose',
      ['--ansi', 'never', '-p', this.name, '--project-directory', this.projectDir, '-f', join(REPO_ROOT, 'docker-compose.yml'), ...args],
      { ...options, cwd: this.projectDir, env: { DOCKER_HOST: this.service.dockerHost, COMPOSE_HTTP_TIMEOUT: '600', ...options.env } },
    );
  }

  /** The project's containers: id, compose service, health ('' without a health check) and state. */
  async containers(): Promise<{ id: string; service: string; health: string; state: string; hostname: string }[]> {
    const ids = (await run('podman', ['ps', '-a', '-q', '--no-trunc', '--filter', `label=com.docker.compose.project=${this.name}`])).stdout
      .split('\n')
      .filter(Boolean);
    if (ids.length === 0) return [];
    const format =
      '{{.Id}}\t{{index .Config.Labels "com.docker.compose.service"}}\t{{if ' +
      '.State.Health}}{{.State.Health.Status}}{{end}}\t{{.State.Status}}\t{{.Config.Hostname}}';
    const out = await run('podman', ['inspect', '--format', format, ...ids], { allowFailure: true });
    return out.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [id = '', service = '', health = '', state = '', hostname = ''] = line.split('\t');
        return { id, service, health, state, hostname };
      });
  }

  /** The host folder behind one of the project's named volumes (root podman: local driver). */
  async volumePath(volume: string): Promise<string> {
    return (await run('podman', ['volume', 'inspect', '--format', '{{.Mountpoint}}', `${this.name}_${volume}`])).stdout.trim();
  }
}

/**
 * Without systemd podman never runs health checks by itself, so `depends_on: service_healthy` would
 * wait forever: run each running container's check on demand, as a Docker engine would on its own.
 */
export class HealthcheckDriver {
  #timer: NodeJS.Timeout | undefined;
  #busy = false;

  constructor(
    private readonly project: ComposeProject,
    private readonly intervalMs = 1500,
  ) {}

  start(): void {
    this.#timer = setInterval(() => void this.tick(), this.intervalMs);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async tick(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const pending = (await this.project.containers()).filter((c) => c.state === 'running' && c.health !== '' && c.health !== 'healthy');
      await Promise.all(pending.map((c) => run('podman', ['healthcheck', 'run', c.id], { allowFailure: true, timeoutMs: 20_000 })));
    } finally {
      this.#busy = false;
    }
  }
}
