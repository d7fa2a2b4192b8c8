// The submit queue end to end: enqueue → BullMQ → worker → stand-in `submit` → batch log, on the real Redis.

import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { batchIdFor } from '../src/batch/batch-log.js';
import { enqueueSubmits, type ReleaseToSubmit } from '../src/enqueue/enqueue-submits.js';
import { normalizeProjectName } from '../src/release/project-name.js';
import { readStatus } from '../src/status/queue-status.js';
import { readSubmitCalls, connectTestRedis, waitFor, createWorkerHarness, type WorkerHarness } from '@pypi-watch/test-utils';

const AI_KEY = 'sk-test-ai-key-0123456789abcdef';
const ACCOUNT_TOKEN = 'tok-farm-account-9f8e7d6c5b4a';

type Harness = WorkerHarness;

const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});

/** `standin`: the stand-in's settings (STANDIN_SUBMIT_MODE, …), given to the workers' submit environment. */
async function harness(
  overrides: Record<string, unknown> = {},
  env: NodeJS.ProcessEnv = {},
  standin: Record<string, string> = {},
): Promise<Harness> {
  const h = await createWorkerHarness(overrides, { env, submitEnv: { STANDIN_SUBMIT_TOKEN: ACCOUNT_TOKEN, ...standin } });
  harnesses.push(h);
  return h;
}

function releases(...names: string[]): ReleaseToSubmit[] {
  return names.map((spec) => {
    const [name = '', version] = spec.split('==');
    return { name, normalized: normalizeProjectName(name), ...(version ? { version } : {}) };
  });
}

async function enqueue(h: Harness, items: ReleaseToSubmit[], batchId = batchIdFor(new Date())) {
  const result = await enqueueSubmits({
    queue: h.runtime.queues.submit,
    releases: items,
    targets: h.setup.config.submit.targets,
    batchId,
    origin: 'enqueue',
    countExistingWith: h.runtime.redis,
  });
  return { ...result, batchId };
}

async function settled(h: Harness, expected: number): Promise<void> {
  await waitFor(
    async () => {
      const counts = await h.runtime.queues.submit.getJobCounts('completed', 'failed');
      return (counts.completed ?? 0) + (counts.failed ?? 0) >= expected;
    },
    { what: `${expected} settled submit jobs` },
  );
}

describe('submit pipeline', () => {
  test('runs submit with exactly the documented arguments, once per release and target', async () => {
    const h = await harness({
      submit: {
        targets: [
          { os_arch: 'aarch64', testbox: 'vm-2p8g' },
          { os_arch: 'x86_64', testbox: 'vm-2p16g' },
        ],
      },
    });
    const { batchId } = await enqueue(h, releases('Requests==2.32.0', 'zope.interface==7.0'));
    await settled(h, 4);

    const calls = await readSubmitCalls(h.recordFile);
    const argvs = calls.map((call) => call.argv.slice(1)).sort((a, b) => a.join(' ').localeCompare(b.join(' ')));
    const rendered = calls[0]?.argv[0] ?? '';
    expect(rendered).toMatch(/\/rendered\/update-pypi\.[0-9a-f]+\.yaml$/);
    expect(calls.every((call) => call.argv[0] === rendered)).toBe(true);
    expect(argvs).toEqual([
      ['repo_addr=Requests', 'os_arch=aarch64', 'testbox=vm-2p8g', 'check_rpm_install=yes'],
      ['repo_addr=Requests', 'os_arch=x86_64', 'testbox=vm-2p16g', 'check_rpm_install=yes'],
      ['repo_addr=zope.interface', 'os_arch=aarch64', 'testbox=vm-2p8g', 'check_rpm_install=yes'],
      ['repo_addr=zope.interface', 'os_arch=x86_64', 'testbox=vm-2p16g', 'check_rpm_install=yes'],
    ]);

    const dir = join(h.setup.config.paths.logDir, batchId);
    const succ = (await readFile(join(dir, 'submit-succ-list'), 'utf8')).trim().split('\n').sort();
    expect(succ).toHaveLength(4);
    for (const line of succ) expect(line).toMatch(/^(Requests|zope\.interface) {2}\S+$/);
    const roots = (await readFile(join(dir, 'result_root_list'), 'utf8')).trim().split('\n');
    expect(roots).toHaveLength(4);
    expect(await readdir(dir)).not.toContain('submit-fail-list');
    const counts = (await h.runtime.queues.submit.getJobCounts('completed')).completed;
    expect(counts).toBe(4);
  });

  test('the same release enqueued twice is one job; an unversioned request is tied to its batch', async () => {
    const h = await harness();
    const first = await enqueue(h, releases('numpy==2.1.0', 'numpy==2.1.0', 'NumPy==2.1.0'));
    expect(first.jobs).toBe(3);
    const second = await enqueue(h, releases('numpy==2.1.0', 'numpy==2.2.0'));
    expect(second.alreadyQueued).toBe(1);
    await settled(h, 2);
    const calls = await readSubmitCalls(h.recordFile);
    expect(calls).toHaveLength(2);
    const total = await h.runtime.queues.submit.getJobCountByTypes('completed', 'failed', 'waiting', 'active', 'delayed');
    expect(total).toBe(2);
  });

  test('a refused submit is retried, then lands in the fail list with the farm reason', async () => {
    const h = await harness({ submit: { attempts: 3, backoff: '50ms' } });
    const { batchId } = await enqueue(h, releases('fail-pkg==1.0', 'good-pkg==1.0'));
    await settled(h, 2);

    const calls = await readSubmitCalls(h.recordFile);
    expect(calls.filter((c) => c.argv.includes('repo_addr=fail-pkg'))).toHaveLength(3);
    expect(calls.filter((c) => c.argv.includes('repo_addr=good-pkg'))).toHaveLength(1);
    const dir = join(h.setup.config.paths.logDir, batchId);
    const failList = await readFile(join(dir, 'submit-fail-list'), 'utf8');
    expect(failList.trim().split('\n')).toHaveLength(1);
    expect(failList).toMatch(/^fail-pkg {2}\S.*\n$/);
    const log = await readFile(join(dir, 'submit-log'), 'utf8');
    expect(log.match(/repo_addr=fail-pkg/g)?.length).toBeGreaterThanOrEqual(3);
    expect(h.logs.lines.some((l) => l.msg === 'submit failed for good')).toBe(true);
  });

  test('a hanging submit is killed at the timeout and reported', async () => {
    const h = await harness({ submit: { attempts: 1, timeout: '400ms' } });
    const { batchId } = await enqueue(h, releases('hang-pkg==1.0'));
    await settled(h, 1);
    const failList = await readFile(join(h.setup.config.paths.logDir, batchId, 'submit-fail-list'), 'utf8');
    expect(failList).toMatch(/^hang-pkg {2}submit did not finish within 400 ?ms/);
  });

  test('planted metrics that Redis cannot add to do not change what a refused account does: it fails at once, for its reason', async () => {
    const h = await harness({ submit: { attempts: 5 } }, {}, { STANDIN_SUBMIT_MODE: 'account' });
    // Anyone who can write to Redis can make the counters a string: HINCRBY then fails (WRONGTYPE).
    await h.runtime.redis.set(h.runtime.stores.keys.metricsCounters, 'planted');
    const { batchId } = await enqueue(h, releases('planted-pkg==1.0'));
    await settled(h, 1);
    expect(await readSubmitCalls(h.recordFile)).toHaveLength(1);
    const [failed] = await h.runtime.queues.submit.getFailed();
    expect(failed?.failedReason).toMatch(/^the farm refused the job: Failed to verify the account/);
    expect(failed?.attemptsMade).toBe(1);
    const failList = await readFile(join(h.setup.config.paths.logDir, batchId, 'submit-fail-list'), 'utf8');
    expect(failList).toMatch(/^planted-pkg {2}the farm refused the job: Failed to verify the account/);
    expect(h.logs.text()).toContain('submit failed, and could not record it');
  });

  test('AI secrets reach submit only through the 0600 rendered yaml; a refused account fails at once, its token redacted', async () => {
    const h = await harness(
      { submit: { attempts: 5 } },
      { AI_API_KEY: AI_KEY, AI_MODEL: 'model-x', AI_BASE_URL: 'https://ai.example' },
      { STANDIN_SUBMIT_MODE: 'account' },
    );
    // As in production: the worker's own environment holds the secrets (what is under test here is
    // that submit does not inherit them, so they go where a deployment puts them).
    process.env.AI_API_KEY = AI_KEY;
    process.env.DASHBOARD_PASSWORD = 'dashboard-secret';
    try {
      const { batchId } = await enqueue(h, releases('secret-pkg==1.0'));
      await settled(h, 1);
      const calls = await readSubmitCalls(h.recordFile);
      expect(calls).toHaveLength(1); // not retried: the account must be fixed first
      expect((await h.runtime.queues.submit.getJobCounts('failed')).failed).toBe(1);
      const rendered = calls[0]?.argv[0] ?? '';
      expect((await stat(rendered)).mode & 0o777).toBe(0o600);
      expect(await readFile(rendered, 'utf8')).toContain(AI_KEY);
      expect(JSON.stringify(calls)).not.toContain(AI_KEY);
      expect(calls[0]?.secretEnv).toEqual([]);

      const dir = join(h.setup.config.paths.logDir, batchId);
      const batchText = (await Promise.all((await readdir(dir)).map((f) => readFile(join(dir, f), 'utf8')))).join('\n');
      expect(batchText).toContain('Failed to verify the account');
      expect(batchText).not.toContain(ACCOUNT_TOKEN);
      expect(h.logs.text()).not.toContain(ACCOUNT_TOKEN);
      expect(h.logs.text()).not.toContain(AI_KEY);

      const redis = connectTestRedis();
      const keys = await redis.keys(`*${h.setup.prefix}*`);
      for (const key of keys) {
        const type = await redis.type(key);
        const dump = type === 'hash' ? JSON.stringify(await redis.hgetall(key)) : type === 'string' ? await redis.get(key) : '';
        expect(dump ?? '').not.toContain(AI_KEY);
        expect(dump ?? '').not.toContain(ACCOUNT_TOKEN);
      }
      redis.disconnect();
    } finally {
      delete process.env.AI_API_KEY;
      delete process.env.DASHBOARD_PASSWORD;
    }
  });

  test('dry run records the exact command and runs nothing', async () => {
    const h = await harness({ submit: { dryRun: true } });
    const { batchId } = await enqueue(h, releases('dry-pkg==0.1'));
    await settled(h, 1);
    expect(await readSubmitCalls(h.recordFile)).toEqual([]);
    const log = await readFile(join(h.setup.config.paths.logDir, batchId, 'submit-log'), 'utf8');
    expect(log).toMatch(/submit .*update-pypi\.[0-9a-f]+\.yaml repo_addr=dry-pkg os_arch=aarch64 testbox=vm-2p8g check_rpm_install=yes/);
  });

  test('status reports BullMQ job counts per queue in the documented JSON shape', async () => {
    const h = await harness({ submit: { attempts: 1 } });
    await enqueue(h, releases('a-pkg==1', 'b-pkg==1', 'fail-c==1'));
    await settled(h, 3);
    const status = await readStatus(h.runtime);
    expect(Object.keys(status.queues).sort()).toEqual(['cleanup', 'notify', 'poll', 'result', 'submit']);
    expect(status.queues.submit).toMatchObject({ waiting: 0, active: 0, delayed: 0, failed: 1, completed: 2 });
    expect(JSON.parse(JSON.stringify(status))).toHaveProperty('queues.poll.waiting', 0);
  });
});
