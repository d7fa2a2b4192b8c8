// submit → result → dependency build → resubmit, through the real workers: the test plays the farm,
// where a build fails for a missing module until the project providing it has been built.

import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { batchIdFor } from '../src/batch/batch-log.js';
import { describeDecision, type DecisionEntry } from '../src/decisions/decision-log.js';
import { enqueueSubmits } from '../src/enqueue/enqueue-submits.js';
import { normalizeProjectName } from '../src/release/project-name.js';
import { openRuntime, type Runtime } from '../src/runtime.js';
import { startWorkers, type WorkerSet } from '../src/workers/start-workers.js';
import {
  captureLogs,
  connectTestRedis,
  createTestSetup,
  deleteKeysWithPrefix,
  readSubmitCalls,
  waitFor,
  type TestSetup,
} from '@pypi-watch/test-utils';

let setup: TestSetup | undefined;
let runtime: Runtime | undefined;
let workers: WorkerSet | undefined;
afterEach(async () => {
  await workers?.close(5000);
  if (setup) {
    const redis = connectTestRedis();
    await deleteKeysWithPrefix(redis, setup.prefix);
    redis.disconnect();
  }
  await runtime?.close();
  await setup?.remove();
  workers = undefined;
  runtime = undefined;
  setup = undefined;
});

type Files = Record<string, string>;
/** The farm's answer for a build of `repo`, knowing which repos have built successfully so far. */
type Farm = (repo: string, built: ReadonlySet<string>) => Files;

const ok: Files = { output: 'rpmbuild success\n' };
const missing = (module: string): Files => ({
  output: 'error\n',
  'build.log': `Traceback\nModuleNotFoundError: No module named '${module}'\n`,
});

interface Played {
  /** Repo names in the order their results were laid out, with success or not. */
  readonly results: Array<{ repo: string; success: boolean; at: number }>;
}

/** Runs the workers over `releases` until `expectedResults` builds finished; returns what the farm saw. */
async function play(farm: Farm, releases: string[], expectedResults: number, overrides: Record<string, unknown> = {}): Promise<Played> {
  setup = await createTestSetup((dir) => ({
    ...overrides,
    results: { every: '100ms', giveUpAfter: '10s', pathMap: { '/srv': join(dir, 'farm-srv') }, ...(overrides.results as object) },
  }));
  const srv = join(setup.dir, 'farm-srv');
  const logs = captureLogs();
  runtime = await openRuntime({ config: setup.config, logger: logs.logger });
  workers = await startWorkers(runtime, {
    queues: ['submit', 'result'],
    submitEnv: { STANDIN_SUBMIT_RECORD: join(setup.dir, 'calls.jsonl') },
  });
  const batchId = batchIdFor(new Date());
  await enqueueSubmits({
    queue: runtime.queues.submit,
    releases: releases.map((name) => ({ name, normalized: normalizeProjectName(name), version: '1.0' })),
    targets: setup.config.submit.targets,
    batchId,
    origin: 'enqueue',
  });
  const played: Played = { results: [] };
  const done = new Set<string>();
  const built = new Set<string>();
  const srvRoot = srv;
  layOut = async () => {
    const logDir = setup!.config.paths.logDir;
    for (const batch of await readdir(logDir).catch(() => [])) {
      const roots = (await readFile(join(logDir, batch, 'result_root_list'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
      for (const root of roots) {
        if (done.has(root)) continue;
        done.add(root);
        const repo = root.split('/').at(-2) ?? '';
        const files = farm(repo, built);
        const local = join(srvRoot, root.slice('/srv'.length));
        await mkdir(local, { recursive: true });
        await writeFile(join(local, 'job.yaml'), `repo_addr: ${repo}\n`);
        for (const [file, text] of Object.entries(files)) await writeFile(join(local, file), text);
        const success = files.output?.includes('rpmbuild success') === true;
        if (success) built.add(normalizeProjectName(repo));
        played.results.push({ repo, success, at: Date.now() });
      }
    }
  };
  await untilResults(expectedResults);
  // Nothing more comes: no submit is left waiting, and no build beyond the expected ones.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const counts = await runtime.queues.submit.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
  expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(0);
  expect((await runtime.queues.result.getJobCounts('completed')).completed).toBe(expectedResults);
  return played;
}

/** Lays out the result folder of every build submitted so far (set by `play`). */
let layOut: () => Promise<void> = async () => undefined;

/** Plays the farm until `count` result jobs completed. */
async function untilResults(count: number): Promise<void> {
  await waitFor(
    async () => {
      await layOut();
      const { completed = 0 } = await runtime!.queues.result.getJobCounts('completed');
      return completed >= count;
    },
    { what: `${count} build results`, timeoutMs: 30_000 },
  );
}

async function story(name: string): Promise<string[]> {
  const entries: DecisionEntry[] = await runtime!.stores.decisions.story(name);
  return entries
    .filter((e) => e.decision.kind === 'dependency')
    .map((e) => describeDecision(e).replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z( \S+)?: /, ''));
}

async function submitsOf(repo: string): Promise<number[]> {
  const calls = await readSubmitCalls(join(setup!.dir, 'calls.jsonl'));
  return calls.filter((c) => c.argv.includes(`repo_addr=${repo}`)).map((c) => c.time);
}

describe('building what a failed build was missing', () => {
  test('A fails for b_mod until b-mod is built: both are built and A is resubmitted exactly once, after b-mod succeeded', async () => {
    const farm: Farm = (repo, built) => (repo === 'a-pkg' && !built.has('b-mod') ? missing('b_mod') : ok);
    const played = await play(farm, ['a-pkg'], 3);

    expect(played.results.map((r) => `${r.repo}:${r.success}`)).toEqual(['a-pkg:false', 'b_mod:true', 'a-pkg:true']);
    const aSubmits = await submitsOf('a-pkg');
    expect(aSubmits).toHaveLength(2);
    expect(await submitsOf('b_mod')).toHaveLength(1);
    const bBuilt = played.results.find((r) => r.repo === 'b_mod')!.at;
    expect(aSubmits[1]).toBeGreaterThan(bBuilt);

    const a = await story('a-pkg');
    expect(a[0]).toMatch(/^failed: missing b_mod → building b-mod \(submit job b-mod\|latest@submit-log-\S+\|dependency\)$/);
    expect(a[1]).toMatch(/^failed: missing b_mod → built b-mod \(job crystal\.\d+\) → resubmitted \(round 1\)$/);
    expect(a).toHaveLength(2);
    const b = await story('b-mod');
    expect(b[0]).toMatch(/^queued as a dependency of a-pkg \(missing b_mod\)/);
    expect(b[1]).toBe('built as a dependency: resubmitted a-pkg (was missing b_mod)');
    expect(await runtime!.stores.dependencies.report(Date.now())).toEqual({ resolved: 1, stillMissing: 0, mostWanted: [] });
  }, 60_000);
  test('two builds missing the same module share one build of it, and both are resubmitted once', async () => {
    const farm: Farm = (repo, built) => (repo.startsWith('a') && !built.has('b-mod') ? missing('b_mod') : ok);
    await play(farm, ['a1-pkg', 'a2-pkg'], 5);
    expect(await submitsOf('b_mod')).toHaveLength(1);
    expect(await submitsOf('a1-pkg')).toHaveLength(2);
    expect(await submitsOf('a2-pkg')).toHaveLength(2);
    expect(await runtime!.stores.dependencies.report(Date.now())).toEqual({ resolved: 1, stillMissing: 0, mostWanted: [] });
    for (const name of ['a1-pkg', 'a2-pkg'])
      expect((await story(name)).at(-1)).toMatch(/→ built b-mod \(job crystal\.\d+\) → resubmitted \(round 1\)$/);
  }, 60_000);
});

describe('every other way it can go ends cleanly, with its story', () => {
  test('a cycle, an unmappable module, a denied dependency and a dependency that fails too', async () => {
    const farm: Farm = (repo) => {
      switch (repo) {
        case 'c-pkg':
          return missing('d_mod');
        case 'd_mod':
          return missing('c_pkg'); // c-pkg waits for d-mod, which would wait for c-pkg
        case 'e-pkg':
          return missing('_ctypes');
        case 'f-pkg':
          return missing('denied_mod');
        case 'g-pkg':
          return missing('h_mod');
        case 'h_mod':
          return { output: 'error: something else\n' };
        default:
          return ok;
      }
    };
    await play(farm, ['c-pkg', 'e-pkg', 'f-pkg', 'g-pkg'], 6, { filters: { deny: ['^denied-mod$'] } });

    for (const repo of ['c-pkg', 'd_mod', 'e-pkg', 'f-pkg', 'g-pkg', 'h_mod']) expect(await submitsOf(repo), repo).toHaveLength(1);
    expect(await submitsOf('denied_mod')).toHaveLength(0);

    expect(await story('c-pkg')).toEqual([
      expect.stringMatching(/^failed: missing d_mod → building d-mod /),
      'failed: missing d_mod → d-mod failed too (failure (missing-dependency)); not resubmitted',
    ]);
    expect(await story('d-mod')).toEqual([
      expect.stringMatching(/^queued as a dependency of c-pkg/),
      'failed: missing c_pkg → c-pkg is itself waiting for this build (d-mod → c-pkg → d-mod); not built',
    ]);
    expect(await story('e-pkg')).toEqual(['failed: missing _ctypes → no PyPI project for it (not-on-pypi); not built']);
    expect(await story('f-pkg')).toEqual(['failed: missing denied_mod → denied-mod not built: filtered by deny:^denied-mod$']);
    expect(await story('g-pkg')).toEqual([
      expect.stringMatching(/^failed: missing h_mod → building h-mod /),
      'failed: missing h_mod → h-mod failed too (failure (other)); not resubmitted',
    ]);
    // The report: nothing resolved; the most wanted still missing, with why.
    const report = await runtime!.stores.dependencies.report(Date.now());
    expect(report.resolved).toBe(0);
    expect(new Map(report.mostWanted.map((d) => [d.project, d.status]))).toEqual(
      new Map([
        ['d-mod', 'failed'],
        ['c-pkg', 'not built'],
        ['module:_ctypes', 'not built'],
        ['denied-mod', 'not built'],
        ['h-mod', 'failed'],
      ]),
    );
    expect(report.stillMissing).toBe(5);
    // Nothing is left parked.
    for (const dependency of ['d-mod', 'h-mod']) expect(await runtime!.stores.dependencies.parkedOn(dependency, Date.now())).toEqual([]);
  }, 60_000);

  test(
    'a dependency whose submit fails for good is not waited for: the next build missing it is told so, and so is the ' + 'first',
    async () => {
      const farm: Farm = (repo) => (repo.startsWith('a') ? missing('faildep') : ok);
      // The stand-in refuses every `fail-*` repo: fail-dep's submit fails for good.
      await play(farm, ['a1-pkg'], 1, { submit: { attempts: 1 }, results: { moduleAliases: { faildep: 'fail-dep' } } });
      await waitFor(async () => (await runtime!.queues.submit.getJobCounts('failed')).failed === 1, {
        what: 'the failed dependency submit',
      });
      await enqueueSubmits({
        queue: runtime!.queues.submit,
        releases: [{ name: 'a2-pkg', normalized: 'a2-pkg', version: '1.0' }],
        targets: setup!.config.submit.targets,
        batchId: batchIdFor(new Date()),
        origin: 'enqueue',
      });
      await untilResults(2);
      expect(await story('a1-pkg')).toEqual([
        expect.stringMatching(/^failed: missing faildep → building fail-dep /),
        'failed: missing faildep → fail-dep failed too (submit failed for good); not resubmitted',
      ]);
      expect(await story('a2-pkg')).toEqual([
        'failed: missing faildep → fail-dep failed to build already (submit failed for good); not built again',
      ]);
      expect(await submitsOf('fail-dep')).toHaveLength(1);
      expect((await runtime!.stores.dependencies.report(Date.now())).mostWanted).toEqual([
        { project: 'fail-dep', wantedBy: 2, status: 'failed' },
      ]);
    },
    60_000,
  );

  test('rounds are bounded: a build that keeps missing something new is resubmitted at most maxDependencyRounds times', async () => {
    // Each round, x-pkg misses the next module: m1, then m2, then m3.
    const farm: Farm = (repo, built) => {
      if (repo !== 'x-pkg') return ok;
      const next = ['m1', 'm2', 'm3'].find((m) => !built.has(m));
      return next ? missing(next) : ok;
    };
    await play(farm, ['x-pkg'], 3, { results: { maxDependencyRounds: 1 } });
    expect(await submitsOf('x-pkg')).toHaveLength(2);
    expect(await submitsOf('m1')).toHaveLength(1);
    expect(await submitsOf('m2')).toHaveLength(0);
    const x = await story('x-pkg');
    expect(x.at(-1)).toBe('failed: missing m2 → not resubmitted: results.maxDependencyRounds (1) reached');
  }, 60_000);
});
