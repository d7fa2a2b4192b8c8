// submit → result: the stand-in prints result_root lines, the test plays the farm by creating
// result folders in each state, and the result worker follows every build to its outcome.

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { batchIdFor } from '../src/batch/batch-log.js';
import { DecisionLog } from '../src/decisions/decision-log.js';
import { enqueueSubmits } from '../src/enqueue/enqueue-submits.js';
import { MetricsStore } from '../src/metrics/metrics-store.js';
import { redisKeys } from '../src/redis/redis-keys.js';
import { normalizeProjectName } from '../src/release/project-name.js';
import { ResultStore } from '../src/results/result-store.js';
import { openRuntime, type Runtime } from '../src/runtime.js';
import { startWorkers, type WorkerSet } from '../src/workers/start-workers.js';
import {
  captureLogs,
  readSubmitCalls,
  createTestSetup,
  type TestSetup,
  connectTestRedis,
  deleteKeysWithPrefix,
  waitFor,
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
});

const SCENARIOS: Record<string, Record<string, string> | 'never' | 'late'> = {
  'ok-pkg': { output: 'rpmbuild success\n' },
  'noinstall-pkg': { output: 'rpmbuild success\nfail to local install rpms\n' },
  'dep-pkg': { output: 'error\n', 'build.log': 'ModuleNotFoundError: No module named foo\n' },
  'spec-pkg': { output: 'error\n', 'build.log': "Illegal char '*'\n" },
  'outage-pkg': { output: "Errors during downloading metadata for repository 'OS'\n" },
  'never-pkg': 'never',
  'late-pkg': 'late',
};

describe('following builds to their results', () => {
  test('every outcome is recorded, reported, written beside the batch, and an outage is resubmitted (bounded)', async () => {
    setup = await createTestSetup((dir) => ({
      // The missing-dependency loop has its own test (missing-dependency-loop.test.ts); here dep-pkg's build just fails.
      results: {
        every: '100ms',
        giveUpAfter: '5s',
        maxResubmits: 1,
        buildMissingDependencies: false,
        pathMap: { '/srv': join(dir, 'farm-srv') },
      },
    }));
    const srv = join(setup.dir, 'farm-srv');
    const recordFile = join(setup.dir, 'calls.jsonl');
    const logs = captureLogs();
    runtime = await openRuntime({ config: setup.config, logger: logs.logger });
    workers = await startWorkers(runtime, { queues: ['submit', 'result'], submitEnv: { STANDIN_SUBMIT_RECORD: recordFile } });

    const batchId = batchIdFor(new Date());
    const names = Object.keys(SCENARIOS);
    await enqueueSubmits({
      queue: runtime.queues.submit,
      releases: names.map((name) => ({ name, normalized: normalizeProjectName(name), version: '1.0' })),
      targets: setup.config.submit.targets,
      batchId,
      origin: 'enqueue',
    });

    // Play the farm: as each submit is recorded, lay out its result folder.
    const done = new Set<string>();
    const late: string[] = [];
    await waitFor(
      async () => {
        const roots = (await readFile(join(setup!.config.paths.logDir, batchId, 'result_root_list'), 'utf8').catch(() => ''))
          .split('\n')
          .filter(Boolean);
        for (const root of roots) {
          if (done.has(root)) continue;
          done.add(root);
          const name = root.split('/').at(-2) ?? '';
          const scenario = SCENARIOS[name];
          const local = join(srv, root.slice('/srv'.length));
          if (scenario === 'never') continue;
          await mkdir(local, { recursive: true });
          await writeFile(join(local, 'job.yaml'), `repo_addr: ${name}\n`);
          if (scenario === 'late') late.push(local);
          else for (const [file, text] of Object.entries(scenario ?? {})) await writeFile(join(local, file), text);
        }
        return done.size >= names.length + 1; // + the resubmit of outage-pkg
      },
      { what: 'all submits and the resubmit', timeoutMs: 20_000 },
    );
    // The late build finishes only after a check has found it still running.
    await waitFor(
      () =>
        logs.lines.some((l) => l.msg === 'build not finished; checking again later' && (l.release as { name: string }).name === 'late-pkg'),
      { what: 'a check of the running late-pkg build' },
    );
    for (const dir of late) await writeFile(join(dir, 'output'), 'rpmbuild success\n');

    const store = new ResultStore({ redis: runtime.redis, keys: redisKeys(setup.prefix) });
    // Settled means every result job has returned (its outcome, batch files and story all written).
    await waitFor(async () => (await runtime!.queues.result.getJobCounts('completed')).completed === names.length + 1, {
      what: 'every result job completed',
      timeoutMs: 20_000,
    });
    const report = await store.report(0);
    expect(report.byStatus).toEqual({ success: 3, failure: 4, 'gave-up': 1, unmapped: 0, unreadable: 0 });
    expect(report.byFailureKind).toMatchObject({ 'repo-outage': 2, 'missing-dependency': 1, 'spec-needs-repair': 1 });
    expect(report.installFailures).toBe(1);
    expect(report.successRate).toBeCloseTo(3 / 7);
    expect(report.failing.map((o) => o.name).sort()).toEqual(['dep-pkg', 'outage-pkg', 'outage-pkg', 'spec-pkg']);

    // The outage was resubmitted once (maxResubmits: 1), then left alone.
    const calls = await readSubmitCalls(recordFile);
    expect(calls.filter((c) => c.argv.includes('repo_addr=outage-pkg'))).toHaveLength(2);

    const dir = join(setup.config.paths.logDir, batchId);
    const succ = (await readFile(join(dir, 'result-succ-list'), 'utf8')).trim().split('\n');
    expect(succ.map((l) => l.split('  ')[0]).sort()).toEqual(['late-pkg', 'noinstall-pkg', 'ok-pkg']);
    const fail = (await readFile(join(dir, 'result-fail-list'), 'utf8')).trim().split('\n');
    expect(fail.map((l) => l.split('  ').slice(0, 2).join(' ')).sort()).toEqual([
      'dep-pkg missing-dependency',
      'never-pkg gave-up',
      'outage-pkg repo-outage',
      'outage-pkg repo-outage',
      'spec-pkg spec-needs-repair',
    ]);
    const summary = await readFile(join(dir, 'result.log'), 'utf8');
    expect(summary).toContain('total: 8\nsuccess: 3\nfailure: 5\n');
    expect(summary).toContain('repo-outage: 2\n');

    const story = await new DecisionLog({ redis: runtime.redis, keys: redisKeys(setup.prefix), ttlMs: 60_000 }).story('outage-pkg', '1.0');
    expect(story.map((e) => e.decision.kind)).toEqual(['submitted', 'result', 'resubmitted', 'submitted', 'result']);

    const metrics = await new MetricsStore({ redis: runtime.redis, keys: redisKeys(setup.prefix) }).snapshot();
    expect(metrics.results).toEqual({ success: 3, failure: 4, 'gave-up': 1, unmapped: 0, unreadable: 0 });
    expect(metrics.resultFailureKinds).toMatchObject({ 'repo-outage': 2 });
    // Waiting builds never held a worker slot: the result jobs sat in `delayed` between checks.
    expect(logs.lines.some((l) => l.msg === 'build not finished; checking again later')).toBe(true);
  }, 60_000);
});
