// Static checks of the deployment files: docker-compose.yml, the two Dockerfiles, .dockerignore and .env.example.
// No Docker needed: they are parsed and checked against the repository and the real command line.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CommanderError, type Command } from 'commander';
import { loadConfig, parseDuration, QUEUE_NAMES } from '@pypi-watch/core';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { buildProgram } from '../src/program.js';
import { BUILD_STEPS, REPO_ROOT } from '@pypi-watch/test-utils';

const read = (file: string): string => readFileSync(join(REPO_ROOT, file), 'utf8');

interface Service {
  image?: string;
  entrypoint?: string[];
  build?: { context: string; dockerfile: string; args?: Record<string, string> };
  command?: string[];
  environment?: Record<string, string>;
  env_file?: string | string[];
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  ports?: string[];
  container_name?: string;
  stop_grace_period?: string;
  healthcheck?: { test: string[] };
}

/** `.env.example` as KEY → value. */
const envExample = new Map(
  read('.env.example')
    .split('\n')
    .filter((line) => line.trim() && !line.startsWith('#'))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const),
);

/** Compose's interpolation of `${VAR}`, `${VAR:-default}` and `${VAR:?error}` (which throws when VAR is unset or empty). */
function interpolate(text: string, env: ReadonlyMap<string, string>): string {
  return text.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_, name: string, kind: string | undefined, rest: string) => {
    const value = env.get(name) ?? '';
    if (value !== '') return value;
    if (kind === '?') throw new Error(`${name}: ${rest}`);
    return kind === '-' ? rest : '';
  });
}

/** What a service's process would find in its environment, .env being .env.example. */
const effectiveEnv = (s: Service): Record<string, string> =>
  Object.fromEntries(Object.entries(s.environment ?? {}).map(([key, value]) => [key, interpolate(String(value), envExample)]));

/** Every secret .env may hold, and the only services allowed to receive it. */
const SECRET_HOLDERS: Record<string, readonly string[]> = {
  AI_API_KEY: ['worker'],
  AI_BASE_URL: ['worker'],
  AI_MODEL: ['worker'],
  SCHED_HOST: ['worker'],
  SCHED_PORT: ['worker'],
  DASHBOARD_PASSWORD: ['dashboard'],
  DASHBOARD_USER: ['dashboard'],
  REDIS_PASSWORD: ['redis'],
  NOTIFY_WEBHOOK_URL: ['poller'],
};

// Compose resolves `<<` merge keys (YAML 1.1); so must we.
const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const APP_SERVICES = ['scheduler', 'poller', 'worker', 'results', 'dashboard'] as const;
const service = (name: string): Service => {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
};

/** `source:target[:mode]` of a short-syntax volume; the source may be a `${VAR:-default}` with colons in it. */
function splitVolume(volume: string): { source: string; target: string; mode: string | undefined } {
  const match = /^((?:\$\{[^}]*\}|[^:$])+):([^:]+)(?::(\w+))?$/.exec(volume);
  if (!match) throw new Error(`unreadable volume ${volume}`);
  return { source: match[1] ?? '', target: match[2] ?? '', mode: match[3] };
}

/** Parses a command line with the real program, its actions replaced: what it ran and with which options. */
function parseCommand(args: readonly string[]): { command: string; options: Record<string, unknown> } {
  const program = buildProgram(() => {});
  let ran: { command: string; options: Record<string, unknown> } | undefined;
  const silence = (cmd: Command) => cmd.configureOutput({ writeErr: () => {}, writeOut: () => {} }).exitOverride();
  silence(program);
  for (const sub of program.commands) {
    silence(sub).action(function (this: Command) {
      ran = { command: this.name(), options: this.opts() };
    });
  }
  program.parse([...args], { from: 'user' });
  if (!ran) throw new Error(`${args.join(' ')} ran no command`);
  return ran;
}

describe('docker-compose.yml', () => {
  test('has redis, scheduler, poller, worker, results and dashboard', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['dashboard', 'poller', 'redis', 'results', 'scheduler', 'worker']);
  });

  test('redis: redis:7 with AOF, noeviction, a named volume, no published port, and a redis-cli ping health check', () => {
    const redis = service('redis');
    // An exact 7.x by default, replaceable by REDIS_IMAGE (the container test's local copy).
    expect(redis.image).toMatch(/^\$\{REDIS_IMAGE:-redis:7\.\d+\.\d+-bookworm\}$/);
    const command = [...(redis.entrypoint ?? []), ...(redis.command ?? [])].join(' ');
    expect(command).toMatch(/--appendonly yes/);
    expect(command).toMatch(/--maxmemory-policy noeviction/);
    const data = (redis.volumes ?? []).map(splitVolume).find((v) => v.target === '/data');
    expect(Object.keys(compose.volumes)).toContain(data?.source);
    expect(redis.ports).toBeUndefined();
    expect(redis.healthcheck?.test.join(' ')).toMatch(/redis-cli ping/);
  });

  test('redis: requirepass from REDIS_PASSWORD, through a 0600 file rather than the command line', () => {
    const redis = service('redis');
    expect(redis.environment?.REDIS_PASSWORD).toMatch(/^\$\{REDIS_PASSWORD:\?.+\}$/);
    const script = (redis.entrypoint ?? []).join(' ');
    // `$$` is Compose's escape for a `$` left to the container's shell.
    expect(script).toMatch(/umask 077/);
    expect(script).toMatch(/printf 'requirepass %s\\n' "\$\$REDIS_PASSWORD" > (\S+)/);
    const file = /> (\S+)/.exec(script)?.[1] ?? '';
    expect(script).toMatch(new RegExp(`exec docker-entrypoint\\.sh redis-server ${file.replace(/[.]/g, '\\.')} `));
    expect(script).not.toMatch(/--requirepass/);
    // The health check authenticates through redis-cli's environment variable, not `-a` on its command line.
    expect(redis.environment?.REDISCLI_AUTH).toMatch(/^\$\{REDIS_PASSWORD(:\?.+)?\}$/);
    expect(redis.healthcheck?.test.join(' ')).not.toMatch(/ -a |--pass/);
    expect(redis.healthcheck?.test.join(' ')).toMatch(/PONG/);
  });

  test.each(APP_SERVICES)('%s: Redis URL with the password, waits for a healthy redis, no env_file, config mounted read-only', (name) => {
    const app = service(name);
    expect(app.environment?.REDIS_URL).toMatch(/^redis:\/\/:\$\{REDIS_PASSWORD:\?[^}]+\}@redis:6379$/);
    const url = new URL(effectiveEnv(app).REDIS_URL ?? '');
    expect({ host: url.host, password: decodeURIComponent(url.password) }).toEqual({
      host: 'redis:6379',
      password: envExample.get('REDIS_PASSWORD'),
    });
    expect(app.depends_on?.redis?.condition).toBe('service_healthy');
    // env_file would hand the container every secret in .env; each gets its own through `environment`.
    expect(app.env_file).toBeUndefined();
    expect(app.volumes).toContain('./pypi-watch.yaml:/app/pypi-watch.yaml:ro');
    expect(app.volumes).toContain('./config/update-pypi.yaml:/app/config/update-pypi.yaml:ro');
    expect(existsSync(join(REPO_ROOT, 'config/update-pypi.yaml'))).toBe(true);
    for (const volume of app.volumes ?? []) {
      const { source, target, mode } = splitVolume(volume);
      const named = /^[\w-]+$/.test(source);
      // Host files and folders are read-only; only named volumes (state) are writable.
      if (named) expect(Object.keys(compose.volumes)).toContain(source);
      else expect(mode, `${volume} is a bind mount`).toBe('ro');
      expect(target).toMatch(/^\//);
    }
    expect(app.build?.dockerfile).toMatch(/^Dockerfile\.(worker|scheduler)$/);
  });

  test.each(APP_SERVICES)('%s: stop_grace_period is longer than shutdown.timeout', (name) => {
    const grace = parseDuration(service(name).stop_grace_period);
    const config = loadConfig({ file: join(REPO_ROOT, 'pypi-watch.example.yaml'), env: {}, cwd: REPO_ROOT });
    expect(grace).toBeGreaterThan(config.shutdown.timeout);
  });

  test.each([
    ['scheduler', 'scheduler', {}],
    ['poller', 'worker', { queues: ['poll', 'notify'] }],
    ['worker', 'worker', { queues: ['submit', 'cleanup'] }],
    ['results', 'worker', { queues: ['result'] }],
    ['dashboard', 'dashboard', {}],
  ] as const)('%s runs a real pypi-watch command with valid flags', (name, command, options) => {
    const args = service(name).command ?? [];
    expect(parseCommand(args)).toEqual({ command, options: expect.objectContaining(options) });
  });

  test('the command check rejects what pypi-watch rejects', () => {
    expect(() => parseCommand(['worker', '--queues', 'submit,bogus'])).toThrow(CommanderError);
    expect(() => parseCommand(['wroker'])).toThrow(CommanderError);
    expect(() => parseCommand(['dashboard', '--port', '3000'])).toThrow(CommanderError);
  });

  test('worker scales: no container_name, no host ports; shares /app/var with the poller; gets the farm account read-only', () => {
    const worker = service('worker');
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports).toBeUndefined();
    const varVolume = (s: Service) => s.volumes?.map(splitVolume).find((v) => v.target === '/app/var')?.source;
    expect(varVolume(worker)).toBeDefined();
    expect(varVolume(service('poller'))).toBe(varVolume(worker));
    expect(worker.volumes?.map(splitVolume)).toContainEqual({
      source: expect.stringContaining('.config/compass-ci'),
      target: '/home/pypi-watch/.config/compass-ci',
      mode: 'ro',
    });
    expect(worker.build?.args).toHaveProperty('LKP_TESTS_GIT_URL');
    expect(worker.build?.args).toHaveProperty('LKP_TESTS_REF');
  });

  test('every queue is served by some service', () => {
    const served = new Set(
      APP_SERVICES.flatMap((name) => {
        const parsed = parseCommand(service(name).command ?? []);
        return parsed.command === 'worker' ? ((parsed.options as { queues?: string[] }).queues ?? []) : [];
      }),
    );
    expect([...served].sort()).toEqual([...QUEUE_NAMES].sort());
  });

  test('results reads the farm result folders read-only', () => {
    expect(service('results').volumes?.map(splitVolume)).toContainEqual({
      source: expect.stringContaining('/srv'),
      target: '/srv',
      mode: 'ro',
    });
  });

  test('dashboard: published on 127.0.0.1 only, DASHBOARD_PASSWORD required, health checked by a loopback Host', () => {
    const dashboard = service('dashboard');
    expect(dashboard.ports).toEqual(['127.0.0.1:${DASHBOARD_PORT:-3000}:3000']);
    expect(dashboard.environment?.DASHBOARD_PASSWORD).toMatch(/^\$\{DASHBOARD_PASSWORD:\?.+\}$/);
    // The dashboard answers only loopback Host names and dashboard.allowedHosts.
    expect(dashboard.healthcheck?.test.join(' ')).toMatch(/http:\/\/127\.0\.0\.1:3000\/healthz/);
  });

  test('docker-compose 1.29 reads it: no top-level key besides services, volumes, networks and x- extensions', () => {
    const top = Object.keys(parse(read('docker-compose.yml')) as Record<string, unknown>);
    expect(top.filter((key) => !['services', 'volumes', 'networks'].includes(key) && !key.startsWith('x-'))).toEqual([]);
  });

  test('CMD health checks have no whitespace inside an argument (podman splits them)', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      const check = s.healthcheck?.test ?? [];
      if (check[0] === 'CMD') for (const arg of check.slice(1)) expect(arg, name).not.toMatch(/\s/);
    }
  });

  test('the base images are build args defaulting to the exact tags the Dockerfiles name', () => {
    const fromDockerfile = /^ARG NODE_IMAGE=(\S+)$/m.exec(read('Dockerfile.scheduler'))?.[1];
    expect(fromDockerfile).toMatch(/^node:20\.\d+\.\d+-bookworm-slim$/);
    expect(/^ARG NODE_IMAGE=(\S+)$/m.exec(read('Dockerfile.worker'))?.[1]).toBe(fromDockerfile);
    for (const name of ['scheduler', 'worker'])
      expect(service(name).build?.args?.NODE_IMAGE).toBe(`\${NODE_IMAGE:-${fromDockerfile ?? ''}}`);
  });

  test('no service publishes a port on every interface', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      for (const port of s.ports ?? []) expect(port, name).toMatch(/^127\.0\.0\.1:/);
    }
  });

  test('each service gets only its own secrets', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      expect(s.env_file, `${name} env_file`).toBeUndefined();
      const env = effectiveEnv(s);
      const referenced = JSON.stringify(s.environment ?? {});
      for (const [secret, holders] of Object.entries(SECRET_HOLDERS)) {
        if (holders.includes(name)) continue;
        expect(Object.keys(env), `${name} must not get ${secret}`).not.toContain(secret);
        // REDIS_PASSWORD is every app's, but only inside REDIS_URL.
        const inUrl = secret === 'REDIS_PASSWORD' && (APP_SERVICES as readonly string[]).includes(name);
        if (!inUrl) expect(referenced, `${name} must not reference ${secret}`).not.toContain(`\${${secret}`);
      }
    }
    expect(Object.keys(effectiveEnv(service('dashboard')))).not.toEqual(expect.arrayContaining(['AI_API_KEY']));
    for (const name of ['scheduler', 'poller', 'worker', 'results'])
      expect(effectiveEnv(service(name))).not.toHaveProperty('DASHBOARD_PASSWORD');
    expect(effectiveEnv(service('worker'))).toMatchObject({ AI_API_KEY: 'replace-me', SCHED_HOST: 'replace-me', SCHED_PORT: 'replace-me' });
    expect(effectiveEnv(service('dashboard'))).toMatchObject({
      DASHBOARD_PASSWORD: 'replace-me',
      DASHBOARD_USER: 'admin',
      DASHBOARD_HOST: '0.0.0.0',
    });
  });

  test('every variable compose requires is in .env.example, and every secret there reaches some service', () => {
    const required = [...read('docker-compose.yml').matchAll(/\$\{(\w+):\?/g)].map((m) => m[1]);
    for (const name of required) expect([...envExample.keys()], name).toContain(name);
    const all = JSON.stringify(compose.services);
    for (const name of envExample.keys()) expect(all, name).toContain(`\${${name}`);
  });

  test('no literal secret in any environment block', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      for (const [key, value] of Object.entries(s.environment ?? {})) {
        if (/key|password|token|secret|auth/i.test(key)) expect(String(value), `${name}.${key}`).toMatch(/^\$\{[A-Z_]+(:\?[^}]*|:-)?\}$/);
        // A URL's password part is a reference too, never a literal.
        if (/^redis/.test(String(value)))
          expect(String(value), `${name}.${key}`).toMatch(/^rediss?:\/\/(:\$\{[A-Z_]+(:\?[^}]*)?\}@)?[\w.-]+:\d+$/);
      }
    }
  });
});

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

function dockerfile(file: string): { instructions: Instruction[]; stages: Instruction[][] } {
  const lines = read(file)
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const instructions = lines.map((line) => {
    const [keyword = '', ...rest] = line.split(/\s+/);
    return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
  });
  const stages: Instruction[][] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') stages.push([]);
    stages.at(-1)?.push(instruction);
  }
  return { instructions, stages };
}

/** ARG defaults declared before the first FROM, for resolving `FROM ${NODE_IMAGE}`. */
function globalArgs(instructions: readonly Instruction[]): Record<string, string> {
  const args: Record<string, string> = {};
  for (const { keyword, args: value } of instructions) {
    if (keyword === 'FROM') break;
    if (keyword === 'ARG') {
      const [name = '', def = ''] = value.split('=');
      args[name] = def;
    }
  }
  return args;
}

describe.each(['Dockerfile.worker', 'Dockerfile.scheduler'])('%s', (file) => {
  const { instructions, stages } = dockerfile(file);
  const final = stages.at(-1) ?? [];
  const args = globalArgs(instructions);
  const resolve = (text: string) => text.replace(/\$\{?(\w+)\}?/g, (_, name: string) => args[name] ?? '');

  test('multi-stage, every stage on Node.js 20 slim', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(resolve(stage[0]?.args ?? '')).toMatch(/^node:20(\.\d+)*-(bookworm-)?slim\b/);
  });

  test('installs pnpm at the packageManager version and the locked dependencies', () => {
    const run = instructions
      .filter((i) => i.keyword === 'RUN')
      .map((i) => i.args)
      .join('\n');
    expect(run).toContain(`require('./package.json').packageManager.split('@')[1]`);
    expect(run).toMatch(/pnpm install --frozen-lockfile --prod=false/);
    expect(JSON.parse(read('package.json')).packageManager).toMatch(/^pnpm@\d+\.\d+\.\d+$/);
  });

  test('the final stage holds the compiled dist/ of every package and production dependencies only', () => {
    const named = (name: string) => stages.find((stage) => /\bAS (\S+)$/i.exec(stage[0]?.args ?? '')?.[1] === name) ?? [];
    const copies = final.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    // node_modules (with the manifests) come from a stage whose only install is --prod, from the lockfile.
    const appCopy = copies.find((args) => / \/app \/app$/.test(args));
    const depsStage = named(/--from=(\S+)/.exec(appCopy ?? '')?.[1] ?? '');
    const depsRun = depsStage
      .filter((i) => i.keyword === 'RUN')
      .map((i) => i.args)
      .join('\n');
    expect(depsRun).toMatch(/pnpm install --frozen-lockfile --prod( |$)/);
    expect(depsRun).not.toMatch(/--prod=false|pnpm build|tsc/);
    expect(
      depsStage
        .filter((i) => i.keyword === 'COPY')
        .map((i) => i.args)
        .join('\n'),
    ).not.toMatch(/\bsrc\b|^(apps|packages) /m);
    // dist/ comes from a stage that built it, one COPY per workspace package.
    const distCopies = copies.filter((args) => /\/dist /.test(args));
    const buildStage = named(/--from=(\S+)/.exec(distCopies[0] ?? '')?.[1] ?? '');
    expect(
      buildStage
        .filter((i) => i.keyword === 'RUN')
        .map((i) => i.args)
        .join('\n'),
    ).toMatch(/pnpm build\b/);
    const packages = ['packages/core', ...['cli', 'dashboard', 'scheduler', 'worker'].map((app) => `apps/${app}`)];
    for (const dir of packages)
      expect(distCopies, dir).toContainEqual(expect.stringMatching(new RegExp(`/app/${dir}/dist /app/${dir}/dist$`)));
    // No TypeScript source and no whole-workspace copy reach the final image.
    for (const args of copies) expect(args).not.toMatch(/\bsrc\b|^(\.|apps|packages|\/app\/(apps|packages)) /);
  });

  test('copies only paths that exist in the repository', () => {
    for (const { args: copy } of instructions.filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from'))) {
      const sources = copy
        .split(/\s+/)
        .filter((part) => !part.startsWith('--'))
        .slice(0, -1);
      for (const source of sources) expect(existsSync(join(REPO_ROOT, source)), source).toBe(true);
    }
  });

  test('runs as a non-root user, stops on SIGTERM, enters through the pypi-watch bin that exists', () => {
    const user = final.filter((i) => i.keyword === 'USER').at(-1)?.args ?? 'root';
    expect(user).toMatch(/^10001(:10001)?$/);
    expect(final.find((i) => i.keyword === 'STOPSIGNAL')?.args).toBe('SIGTERM');
    const entrypoint = JSON.parse(final.find((i) => i.keyword === 'ENTRYPOINT')?.args ?? 'null') as string[];
    expect(entrypoint).toEqual(['node', '/app/apps/cli/bin/pypi-watch.js']);
    expect(existsSync(join(REPO_ROOT, (entrypoint[1] ?? '').replace(/^\/app\//, '')))).toBe(true);
    const app = stages[0] ?? [];
    expect(app.find((i) => i.keyword === 'WORKDIR')?.args).toBe('/app');
  });

  test('has a HEALTHCHECK running a real pypi-watch command', () => {
    const check = final.find((i) => i.keyword === 'HEALTHCHECK')?.args ?? '';
    const cmd = JSON.parse(/\bCMD (\[.*\])$/.exec(check)?.[1] ?? 'null') as string[];
    expect(cmd.slice(0, 2)).toEqual(['node', '/app/apps/cli/bin/pypi-watch.js']);
    expect(parseCommand(cmd.slice(2)).command).toBe('status');
  });

  test('bakes in no secrets: no ENV or ARG with a secret-looking name', () => {
    for (const { keyword, args: value } of instructions.filter((i) => i.keyword === 'ENV' || i.keyword === 'ARG')) {
      for (const name of value.split(/\s+/).map((pair) => pair.split('=')[0] ?? '')) {
        expect(name, `${keyword} ${value}`).not.toMatch(/key|password|passwd|token|secret|credential/i);
      }
    }
  });

  if (file === 'Dockerfile.worker') {
    test('adds Ruby, git and lkp-tests from build args, with submit on PATH and LKP_SRC set', () => {
      const text = final.map((i) => `${i.keyword} ${i.args}`).join('\n');
      expect(text).toMatch(/ARG LKP_TESTS_GIT_URL=https:\/\/gitee\.com\/compass-ci\/lkp-tests\.git/);
      expect(text).toMatch(/ARG LKP_TESTS_REF\b/);
      expect(text).toMatch(/apt-get install[^\n]*\bruby\b[^\n]*\bgit\b/);
      expect(text).toMatch(/git clone [^\n]*\$\{LKP_TESTS_GIT_URL\}/);
      expect(text).toMatch(/ln -s \/opt\/lkp-tests\/sbin\/submit \/usr\/local\/bin\/submit/);
      expect(text).toMatch(/LKP_SRC=\/opt\/lkp-tests/);
      expect(text).toMatch(/chown -R 10001:10001 \/app\/var/);
    });
  } else {
    test('has no Ruby and no lkp-tests', () => {
      for (const { keyword, args: value } of instructions) expect(`${keyword} ${value}`).not.toMatch(/ruby|lkp-tests|LKP_/i);
    });
  }
});

/** A TypeScript transpiler or loader, or a .ts entry point, on a command line or in NODE_OPTIONS. */
const TRANSPILER = /\b(tsx|ts-node|esbuild|swc|babel-node|vite-node)\b|--(import|loader|experimental-loader|require)\b|\.[mc]?ts\b/;
const WORKSPACE_PACKAGES = ['packages/core', 'apps/cli', 'apps/dashboard', 'apps/scheduler', 'apps/worker'];

describe('no production path starts a TypeScript transpiler', () => {
  test('the bin runs ../dist/main.js and imports nothing else of ours', () => {
    const bin = read('apps/cli/bin/pypi-watch.js');
    expect(bin).toMatch(/new URL\('\.\.\/dist\/main\.js', import\.meta\.url\)/);
    const imports = [...bin.matchAll(/\bimport\b[^'"\n]*['"]([^'"]+)['"]/g)].map((m) => m[1]);
    expect(imports).toEqual(['node:fs']);
    expect(
      bin
        .split('\n')
        .filter((line) => !line.startsWith('//'))
        .join('\n'),
    ).not.toMatch(TRANSPILER);
    const cli = JSON.parse(read('apps/cli/package.json')) as { bin: Record<string, string> };
    expect(cli.bin).toEqual({ 'pypi-watch': 'bin/pypi-watch.js' });
  });

  test('the root `pypi-watch` script builds, then runs the bin with node', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    // The build is what buildDist() runs before the tests of the bin: tsc, then the vendored bundles.
    expect(scripts.build).toBe(BUILD_STEPS.join(' && '));
    expect(scripts['pypi-watch']).toBe('pnpm -s build && node apps/cli/bin/pypi-watch.js');
    // A fresh clone's `pnpm install` builds dist/ (prepare), so the bin works right after it.
    expect(scripts.prepare).toBe('pnpm -s build');
  });

  test.each(APP_SERVICES)('compose %s: the image entrypoint with pypi-watch arguments only, no NODE_OPTIONS', (name) => {
    const app = service(name);
    expect(app.entrypoint).toBeUndefined();
    for (const arg of app.command ?? []) expect(arg).not.toMatch(TRANSPILER);
    expect(Object.keys(app.environment ?? {})).not.toContain('NODE_OPTIONS');
  });

  test.each(['Dockerfile.worker', 'Dockerfile.scheduler'])('%s: ENTRYPOINT, CMD and ENV of the final stage', (file) => {
    const final = dockerfile(file).stages.at(-1) ?? [];
    for (const { keyword, args } of final.filter((i) => ['ENTRYPOINT', 'CMD'].includes(i.keyword))) {
      for (const arg of JSON.parse(args) as string[]) expect(arg, keyword).not.toMatch(TRANSPILER);
    }
    expect(
      final
        .filter((i) => i.keyword === 'ENV')
        .map((i) => i.args)
        .join(' '),
    ).not.toMatch(/NODE_OPTIONS/);
  });

  test('no workspace package has a transpiler among its production dependencies, nor does the lockfile reach one from them', () => {
    for (const dir of WORKSPACE_PACKAGES) {
      const manifest = JSON.parse(read(`${dir}/package.json`)) as { dependencies?: Record<string, string> };
      expect(
        Object.keys(manifest.dependencies ?? {}).filter((name) => TRANSPILER.test(name) || name === 'typescript'),
        dir,
      ).toEqual([]);
    }
    // Walk the lockfile from every importer's dependencies (not devDependencies): what `pnpm install --prod` installs.
    const lock = parse(read('pnpm-lock.yaml')) as {
      importers: Record<string, { dependencies?: Record<string, { version: string }> }>;
      snapshots: Record<string, { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> }>;
    };
    const seen = new Set<string>();
    const queue = Object.values(lock.importers).flatMap((importer) =>
      Object.entries(importer.dependencies ?? {})
        .filter(([, dep]) => !dep.version.startsWith('link:'))
        .map(([name, dep]) => `${name}@${dep.version}`),
    );
    for (let key = queue.pop(); key !== undefined; key = queue.pop()) {
      if (seen.has(key)) continue;
      seen.add(key);
      const snapshot = lock.snapshots[key] ?? {};
      for (const [name, version] of Object.entries({ ...snapshot.dependencies, ...snapshot.optionalDependencies }))
        queue.push(`${name}@${version}`);
    }
    expect(seen.size).toBeGreaterThan(50);
    const names = [...seen].map((key) => key.slice(0, key.indexOf('@', 1)));
    expect(names).toContain('bullmq');
    expect(names.filter((name) => /^(tsx|esbuild|@esbuild\/.*|typescript|ts-node|@swc\/.*|vitest|vite)$/.test(name))).toEqual([]);
  });
});

describe('.dockerignore and .env.example', () => {
  test('.dockerignore keeps dependencies, local state, git and secrets out of the build context', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((line) => line.trim());
    // A local dist/ stays out too: the image compiles its own from the sources.
    for (const entry of ['**/node_modules', '**/dist', 'var', '.git', '.env']) expect(ignored).toContain(entry);
  });

  test('.env.example lists every secret the containers need, with placeholders only', () => {
    expect([...envExample.keys()].sort()).toEqual(Object.keys(SECRET_HOLDERS).sort());
    for (const [key, value] of envExample) expect(value, key).toMatch(/^(|replace-me|admin|https:\/\/[a-z.]*example\.org(\/\S*)?)$/);
  });

  test('.env.example: the Redis password placeholder is URL-safe and the comment says it must be', () => {
    // It goes into REDIS_URL unencoded: only RFC 3986 unreserved characters keep the URL intact.
    expect(envExample.get('REDIS_PASSWORD')).toMatch(/^[A-Za-z0-9._~-]+$/);
    const text = read('.env.example');
    expect(text).toMatch(/URL-safe/);
    expect(text).toMatch(/openssl rand -hex/);
  });

  test('.env is git-ignored', () => {
    expect(() => execFileSync('git', ['check-ignore', '--quiet', '.env'], { cwd: REPO_ROOT })).not.toThrow();
  });
});

describe('docs/deployment.md', () => {
  test('says how to expose the dashboard (TLS proxy, allowedHosts, Host passed through) and how to pick REDIS_PASSWORD', () => {
    const doc = read('docs/deployment.md');
    expect(doc).toMatch(/allowedHosts: \[dashboard\.example\.org\]/);
    expect(doc).toMatch(/proxy_set_header Host \$host;/);
    expect(doc).toMatch(/REDIS_PASSWORD/);
    expect(doc).toMatch(/URL-safe/);
    for (const key of envExample.keys()) expect(doc, key).toContain(`\`${key}\``);
  });
});
