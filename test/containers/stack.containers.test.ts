// The whole stack in containers: both images built from the repository's Dockerfiles on local base
// images, docker-compose.yml started through podman against a fake PyPI on the host, and the stand-in
// submit cloned into the worker image as lkp-tests. Run with `pnpm test:containers` (docs/deployment.md).
// Keeps the built images; removes the containers, the network and the volumes.

import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FakePypi, type FakeRelease, waitFor } from '@pypi-watch/test-utils';
import { ComposeProject, CONTAINERS_DIR, HealthcheckDriver, PodmanService, run, whyNoContainers } from './support/podman.js';
import { GatewayForward, LkpStandinRepo, writeProjectDir, type ProjectFiles } from './support/stack-fixtures.js';

interface Call {
  readonly host: string;
  readonly name: string;
  readonly time: number;
}

const figures: Record<string, string | number> = {};
const APP_IMAGE = 'localhost/pypi-watch:local';
const WORKER_IMAGE = 'localhost/pypi-watch-worker:local';

let dir = '';
let fake: FakePypi;
let forward: GatewayForward;
let lkp: LkpStandinRepo;
let service: PodmanService;
let project: ComposeProject;
let health: HealthcheckDriver;
let files: ProjectFiles;
let released = 0;

const sdist = (name: string): FakeRelease => ({ name, version: '1.0', files: ['sdist'] });

/** Every stand-in submit call, by the worker container (hostname) that made it. */
async function submitCalls(): Promise<Call[]> {
  const folder = join(await project.volumePath('var'), 'standin');
  const names = await readdir(folder).catch(() => [] as string[]);
  const calls: Call[] = [];
  for (const file of names) {
    for (const line of (await readFile(join(folder, file), 'utf8')).split('\n').filter(Boolean)) {
      const record = JSON.parse(line) as { argv: string[]; time: number };
      const repo = record.argv.find((arg) => arg.startsWith('repo_addr='))?.slice('repo_addr='.length) ?? '';
      calls.push({ host: file.replace(/\.jsonl$/, ''), name: repo, time: record.time });
    }
  }
  return calls;
}

function publish(names: readonly string[]): void {
  fake.publish(names.map(sdist));
  released += names.length;
}

/** Until every name reached submit; returns the calls for them. */
async function reachSubmit(names: readonly string[], timeoutMs = 180_000): Promise<Call[]> {
  return waitFor(
    async () => {
      const calls = (await submitCalls()).filter((call) => names.includes(call.name));
      return new Set(calls.map((call) => call.name)).size === names.length ? calls : undefined;
    },
    { timeoutMs, intervalMs: 1000, what: `${names.length} releases to reach submit` },
  );
}

/** Until every running container of the project is healthy (health checks driven by the test). */
async function allHealthy(timeoutMs = 180_000): Promise<void> {
  let last: Awaited<ReturnType<ComposeProject['containers']>> = [];
  try {
    await waitFor(
      async () => {
        last = await project.containers();
        return last.length > 0 && last.every((c) => c.state === 'running' && (c.health === '' || c.health === 'healthy'));
      },
      { timeoutMs, intervalMs: 500, what: 'every container healthy' },
    );
  } catch (error) {
    const sick = last.filter((c) => c.state !== 'running' || (c.health !== '' && c.health !== 'healthy'));
    const logs = await Promise.all(sick.map(async (c) => `--- ${c.service} ${c.state} ${c.health}\n${await containerReport(c.id)}`));
    throw new Error(`${(error as Error).message}\n${logs.join('\n')}`, { cause: error });
  }
}

/** A container's last log lines and health check outputs, for a failure message. */
async function containerReport(id: string): Promise<string> {
  const logs = await run('podman', ['logs', '--tail', '15', id], { allowFailure: true });
  const checks = await run('podman', ['inspect', '--format', '{{if .State.Health}}{{json .State.Health.Log}}{{end}}', id], {
    allowFailure: true,
  });
  return `${logs.stdout}${logs.stderr}\nhealth checks: ${checks.stdout.slice(-1500)}`;
}

/** `pypi-watch <args>` inside the running scheduler container (`compose run` fails on podman: links). */
/**
 * One CLI command in the scheduler container. On this 2-core machine, with podman's DNS and builds
 * competing, a fresh process's Redis connect sometimes misses its 5 s bound; that is asked again
 * (up to 3 times), any other failure is not.
 */
async function cli(args: readonly string[]): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return (await project.run(['exec', '-T', 'scheduler', 'node', '/app/apps/cli/bin/pypi-watch.js', ...args])).stdout;
    } catch (error) {
      if (attempt >= 3 || !/cannot connect to Redis/.test((error as Error).message)) throw error;
    }
  }
}

async function submitCounts(): Promise<{ waiting: number; active: number; completed: number; failed: number }> {
  const status = JSON.parse(await cli(['status', '--json'])) as {
    queues: Record<string, { waiting: number; active: number; completed: number; failed: number }>;
  };
  const submit = status.queues.submit;
  if (!submit) throw new Error('status --json has no submit queue');
  return submit;
}

async function imageSize(image: string): Promise<string> {
  const bytes = Number((await run('podman', ['image', 'inspect', '--format', '{{.Size}}', image])).stdout.trim());
  return `${(bytes / 1e6).toFixed(0)} MB`;
}

beforeAll(async () => {
  const started = Date.now();
  const bases = await run('bash', [join(CONTAINERS_DIR, 'base-images.sh')], { timeoutMs: 900_000 });
  const baseImages = Object.fromEntries(
    bases.stdout
      .trim()
      .split('\n')
      .map((line) => line.split('=') as [string, string]),
  );
  const nodeImage = baseImages.NODE_IMAGE ?? '';
  const redisImage = baseImages.REDIS_IMAGE ?? '';
  figures['base images (cached when unchanged)'] = `${(bases.ms / 1000).toFixed(0)} s`;
  const blocked = await whyNoContainers(nodeImage);
  if (blocked) throw new Error(`containers cannot run here: ${blocked}`);

  dir = await mkdtemp(join(tmpdir(), 'pypi-watch-containers-'));
  lkp = new LkpStandinRepo(dir);
  await lkp.start();
  // --network host: the build's RUN steps reach git daemon on the host's loopback. --format docker:
  // the OCI format has no HEALTHCHECK, so podman would drop it.
  const build = (file: string, tag: string, args: string[]) =>
    run(
      'podman',
      [
        'build',
        '--quiet',
        '--format',
        'docker',
        '--network',
        'host',
        '--build-arg',
        `NODE_IMAGE=${nodeImage}`,
        ...args,
        '-f',
        file,
        '-t',
        tag,
        '.',
      ],
      {
        timeoutMs: 1_200_000,
      },
    );
  const app = await build('Dockerfile.scheduler', APP_IMAGE, []);
  const worker = await build('Dockerfile.worker', WORKER_IMAGE, ['--build-arg', `LKP_TESTS_GIT_URL=${lkp.url}`]);
  figures['build Dockerfile.scheduler'] = `${(app.ms / 1000).toFixed(0)} s`;
  figures['build Dockerfile.worker'] = `${(worker.ms / 1000).toFixed(0)} s`;
  figures['size pypi-watch (scheduler, poller, results, dashboard)'] = await imageSize(APP_IMAGE);
  figures['size pypi-watch-worker'] = await imageSize(WORKER_IMAGE);
  figures[`size base ${nodeImage}`] = await imageSize(nodeImage);
  figures[`size base ${redisImage}`] = await imageSize(redisImage);

  fake = new FakePypi();
  const fakeUrl = await fake.start();
  forward = new GatewayForward(Number(new URL(fakeUrl).port));
  await forward.start();
  const projectDir = join(dir, 'project');
  files = await writeProjectDir(projectDir, { pypiUrl: `http://host.containers.internal:${forward.port}`, nodeImage, redisImage });
  service = new PodmanService(dir);
  await service.start();
  project = new ComposeProject('pypi-watch-ctest', projectDir, service);
  await project.run(['down', '--volumes', '--remove-orphans'], { allowFailure: true });
  health = new HealthcheckDriver(project);
  health.start();
  const up = Date.now();
  await project.run(['up', '-d', '--no-build', '--scale', 'worker=2']);
  await allHealthy();
  figures['compose up to all healthy (2 workers)'] = `${((Date.now() - up) / 1000).toFixed(1)} s`;
  figures['setup total'] = `${((Date.now() - started) / 1000).toFixed(0)} s`;
}, 1_800_000);

afterAll(async () => {
  health?.stop();
  // CONTAINERS_TEST_KEEP=1 leaves the stack running for a look after a failure (docs/deployment.md).
  if (process.env.CONTAINERS_TEST_KEEP === '1') {
    console.log(
      `kept: DOCKER_HOST=${service?.dockerHost} docker-compose -p ${project?.name} --project-directory ${project?.projectDir} ...`,
    );
    return;
  }
  if (project) {
    const logs = await project.run(['logs', '--no-color', '--tail', '30'], { allowFailure: true });
    if (process.env.CONTAINERS_TEST_LOGS === '1') console.log(logs.stdout);
    await project.run(['down', '--volumes', '--remove-orphans', '--timeout', '50'], { allowFailure: true });
  }
  await service?.stop();
  lkp?.stop();
  await forward?.stop();
  await fake?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
  figures['releases through submit'] = released;
  console.log(
    `\ncontainer test figures\n${Object.entries(figures)
      .map(([key, value]) => `  ${key}: ${value}`)
      .join('\n')}\n`,
  );
}, 300_000);

describe.sequential('docker compose stack on podman', () => {
  test('releases published on the fake PyPI reach the stand-in submit from both worker containers', async () => {
    // The changelog source starts at the serial of its first poll: publish after it.
    await waitFor(() => fake.requests.some((r) => r.path === '/pypi'), { timeoutMs: 60_000, what: 'a first poll' });
    const names = Array.from({ length: 24 }, (_, i) => `ctest-first-${i}`);
    const start = Date.now();
    publish(names);
    const calls = await reachSubmit(names);
    figures['24 releases: publish to last submit'] = `${((Date.now() - start) / 1000).toFixed(1)} s`;
    const workers = (await project.containers()).filter((c) => c.service === 'worker').map((c) => c.hostname);
    expect(new Set(calls.map((c) => c.host))).toEqual(new Set(workers));
    expect(workers).toHaveLength(2);
  });

  test('batch logs are in the var volume', async () => {
    const logDir = join(await project.volumePath('var'), 'log');
    const batches = (await readdir(logDir)).filter((name) => name.startsWith('submit-log-'));
    expect(batches.length).toBeGreaterThan(0);
    let text = '';
    for (const batch of batches)
      for (const file of await readdir(join(logDir, batch))) text += await readFile(join(logDir, batch, file), 'utf8');
    expect(text).toContain('ctest-first-0');
    expect(text).toMatch(/crystal\.\d+/);
  });

  test("the image's vendored bundles compile from the code cache its build stage made", async () => {
    // The cache fits only the node and V8 flags that made it: the build stage's, which must be the final one's.
    const vendor = '/app/packages/core/dist/vendor';
    const names = ['zod', 'yaml', 'ioredis', 'pino'];
    const code = [
      `import { loadedFromCache } from '${vendor}/cached-bundle.js';`,
      ...names.map((name) => `await import('${vendor}/${name}.js');`),
      `console.log(JSON.stringify(${JSON.stringify(names)}.map((name) => loadedFromCache('${vendor}/' + name + '.cjs'))));`,
    ].join('\n');
    const answer = await project.run(['exec', '-T', 'scheduler', 'node', '--input-type=module', '-e', code]);
    expect(JSON.parse(answer.stdout.trim())).toEqual([true, true, true, true]);
  });

  test("the dashboard's /healthz is healthy on the published port, with Bull Board behind auth", async () => {
    const base = `http://127.0.0.1:${files.dashboardPort}`;
    const healthz = await fetch(`${base}/healthz`);
    expect(healthz.status).toBe(200);
    expect(await healthz.text()).toMatch(/ok|healthy/i);
    expect((await fetch(`${base}/ui/`)).status).toBe(401);
    const wrong = await fetch(`${base}/ui/`, { headers: { authorization: `Basic ${Buffer.from('admin:wrong').toString('base64')}` } });
    expect(wrong.status).toBe(401);
    const right = await fetch(`${base}/ui/`, {
      headers: { authorization: `Basic ${Buffer.from(`admin:${files.dashboardPassword}`).toString('base64')}` },
    });
    expect(right.status).toBe(200);
    expect(await right.text()).toMatch(/<html/i);
    // The overview and what it loads come from the image (dist/browser, uplot in the production node_modules): no CDN.
    const auth = { authorization: `Basic ${Buffer.from(`admin:${files.dashboardPassword}`).toString('base64')}` };
    const overview = await fetch(`${base}/`, { headers: auth });
    expect(overview.status).toBe(200);
    expect(await overview.text()).toContain('assets/overview.js');
    for (const asset of ['overview.js', 'overview-data.js', 'time-chart.js', 'theme.js', 'uplot.js', 'uplot.css', 'console.css']) {
      const response = await fetch(`${base}/assets/${asset}`, { headers: auth });
      expect(response.status, asset).toBe(200);
      expect((await response.text()).length, asset).toBeGreaterThan(100);
    }
    const data = await fetch(`${base}/api/overview`, { headers: auth });
    expect(data.status).toBe(200);
    expect(await data.json()).toMatchObject({ backlog: { submit: expect.any(Object) as unknown } });
  });

  test('--scale worker=3 adds a worker that takes jobs', async () => {
    const before = new Set((await project.containers()).filter((c) => c.service === 'worker').map((c) => c.hostname));
    await project.run(['up', '-d', '--no-build', '--no-recreate', '--scale', 'worker=3']);
    await allHealthy();
    const third = (await project.containers()).find((c) => c.service === 'worker' && !before.has(c.hostname));
    expect(third).toBeDefined();
    const names = Array.from({ length: 30 }, (_, i) => `ctest-scale-${i}`);
    publish(names);
    const calls = await reachSubmit(names);
    expect(calls.filter((c) => c.host === third?.hostname).length).toBeGreaterThan(0);
  });

  test('stopping a worker mid-submit exits 0 within the grace period, its job completed or returned', async () => {
    publish(['slow-ctest-stop']);
    const [call] = await reachSubmit(['slow-ctest-stop']);
    const victim = (await project.containers()).find((c) => c.hostname === call?.host);
    expect(victim).toBeDefined();
    const stop = await run('podman', ['stop', '--time', '45', victim?.id ?? '']);
    figures['worker stop mid-submit (12 s submit)'] = `${(stop.ms / 1000).toFixed(1)} s`;
    expect(stop.ms).toBeLessThan(45_000);
    const state = (await run('podman', ['inspect', '--format', '{{.State.ExitCode}}', victim?.id ?? ''])).stdout.trim();
    expect(state).toBe('0');
    const why = JSON.parse(await cli(['why', 'slow-ctest-stop==1.0', '--json'])) as {
      story: { decision: { kind: string; farmJobId?: string } }[];
    };
    // The 12 s submit is shorter than shutdown.timeout (30 s): the stopping worker finishes it and records
    // the farm job, rather than leaving it to another worker or losing it.
    expect(why.story.map((entry) => entry.decision.kind)).toEqual(['queued', 'submitted']);
    expect(why.story.at(-1)?.decision.farmJobId).toMatch(/^crystal\.\d+$/);
    await project.run(['up', '-d', '--no-build', '--no-recreate', '--scale', 'worker=3']);
  });

  test('down then up keeps queued jobs (the AOF volume)', async () => {
    await project.run(['stop', 'worker']);
    const names = Array.from({ length: 6 }, (_, i) => `ctest-kept-${i}`);
    const queuedBefore = (await submitCounts()).waiting;
    publish(names);
    await waitFor(async () => (await submitCounts()).waiting >= queuedBefore + names.length, {
      timeoutMs: 90_000,
      intervalMs: 2000,
      what: 'the releases queued',
    });
    await project.run(['down', '--timeout', '50']);
    const up = Date.now();
    await project.run(['up', '-d', '--no-build', '--scale', 'worker=0']);
    await allHealthy();
    // Healthy containers can still come up before Redis has replayed its AOF or the new network's
    // names resolve: ask until status answers, then check what it says.
    let after: Awaited<ReturnType<typeof submitCounts>> | undefined;
    await waitFor(
      async () => {
        after = await submitCounts().catch(() => undefined);
        return after !== undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1000, what: 'status answering after up' },
    );
    figures['compose up after down to all healthy (no workers)'] = `${((Date.now() - up) / 1000).toFixed(1)} s`;
    expect(after?.waiting).toBeGreaterThanOrEqual(queuedBefore + names.length);
    await project.run(['up', '-d', '--no-build', '--scale', 'worker=2']);
    await reachSubmit(names);
  });
});
