// The overview against what really happened: a real poll of the fake PyPI's changelog, real submit and
// result workers, the stand-in `submit` and result folders laid out as the farm would. The series and
// readOverview must count what the poll, the stand-in's calls and the outcomes say.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { batchIdFor } from '../src/batch/batch-log.js';
import { LATENCY_BOUNDS, LATENCY_FIELDS, latencyCell, lastBuckets, mergeLatency, readBuckets } from '../src/metrics/time-series.js';
import { readOverview, type Overview } from '../src/overview/read-overview.js';
import { redisKeys } from '../src/redis/redis-keys.js';
import { RESULT_JOB_NAME } from '../src/results/result-job.js';
import { SUBMIT_JOB_NAME } from '../src/submit/submit-job.js';
import { SubmitTargets } from '../src/submit/submit-targets.js';
import { startWorkers } from '../src/workers/start-workers.js';
import {
  cleanupsAfterEach,
  createFarmDir,
  createPollHarness,
  createWorkerHarness,
  playFarm,
  readSubmitCalls,
  waitFor,
  type PollHarness,
} from '@pypi-watch/test-utils';

const defer = cleanupsAfterEach();
const farmDir = () => createFarmDir(defer);

/** What the farm writes in every result folder before the build's own files. */
const JOB_YAML = { 'job.yaml': 'suite: rpmbuild\n' };
const BUILD_OK = { ...JOB_YAML, output: 'rpmbuild success\n' };
const BUILD_MISSING = { ...JOB_YAML, output: 'error\n', 'build.log': "ModuleNotFoundError: No module named 'flit_core'\n" };

const total = (buckets: readonly object[], field: string): number =>
  buckets.reduce((sum, bucket) => sum + ((bucket as Record<string, number>)[field] ?? 0), 0);

/** The lower (exclusive) and upper (inclusive) bound of the cell holding `seconds`. */
function cellBounds(seconds: number): [number, number] {
  const cell = latencyCell(seconds)!;
  return [cell === 0 ? 0 : LATENCY_BOUNDS[cell - 1]!, LATENCY_BOUNDS[cell]!];
}

function expectInCell(value: number | undefined, seconds: number): void {
  const [lower, upper] = cellBounds(seconds);
  expect(value).toBeGreaterThan(lower);
  expect(value).toBeLessThanOrEqual(upper);
}

describe('the overview of a real pipeline', () => {
  test('a poll, its submits and their results: counters, release→submit from the sdist, outcomes, missing modules, a withdrawal', async () => {
    const srv = await farmDir();
    const h: PollHarness = await createPollHarness('changelog', {
      filters: { deny: ['^denied-'] },
      results: { every: '100ms', giveUpAfter: '30s', buildMissingDependencies: false, pathMap: { '/srv': srv } },
    });
    defer(() => h.close());
    const recordFile = join(h.setup.dir, 'calls.jsonl');
    const workers = await startWorkers(h.runtime, { queues: ['submit', 'result'], submitEnv: { STANDIN_SUBMIT_RECORD: recordFile } });
    defer(() => workers.close(5000));
    await h.poller.run(); // the cursor starts at PyPI's head

    // Release times chosen mid-cell (see LATENCY_BOUNDS), so the seconds the test itself takes cannot move a sample to the next cell.
    const now = Math.floor(Date.now() / 1000);
    const released = now - 640;
    h.pypi.publish([
      { name: 'ok-pkg', version: '1.0', timestamp: released },
      { name: 'dep-pkg', version: '1.0', timestamp: released },
      { name: 'multi', version: '1.0', timestamp: released },
      { name: 'multi', version: '2.0', timestamp: released },
      { name: 'wheel-only', version: '1.0', files: ['bdist_wheel'], timestamp: released },
      { name: 'denied-pkg', version: '1.0', timestamp: released },
      // Out an hour ago as a wheel; its sdist, what the farm builds, 270 s ago: the latency counts from the sdist.
      { name: 'late-pkg', version: '1.0', files: ['bdist_wheel'], timestamp: now - 3600 },
    ]);
    h.pypi.addFile('late-pkg', '1.0', 'sdist', { timestamp: now - 270 });
    const poll = await h.poller.run();
    expect(poll).toMatchObject({ found: 7, queued: 4, waiting: 1, filtered: 1, superseded: 1 });

    await playFarm(h.runtime, poll.batchId!, srv, 4, (name) => (name === 'dep-pkg' ? BUILD_MISSING : BUILD_OK));
    await waitFor(async () => (await h.runtime.queues.result.getJobCounts('completed')).completed === 4, {
      what: 'every build followed to its result',
      timeoutMs: 20_000,
    });

    const overview: Overview = await readOverview(h.runtime, Date.now());
    for (const [field, count] of Object.entries({ found: 7, queued: 4, waiting: 1, filtered: 1, superseded: 1, submitsStarted: 4 })) {
      expect([field, total(overview.hourly, field)]).toEqual([field, count]);
    }
    expect(total(overview.hourly, 'submitsFailed')).toBe(0);
    expect(total(overview.minutely, 'submitsStarted')).toBe(4);
    expect(overview.lastPoll).toMatchObject({ ok: true, found: 7, queued: 4, gap: false });
    expect(overview.lag).toEqual({ value: 0, unit: 'serials' });
    expect(overview.rate.limitPerMinute).toBe(600); // submit.rateLimit's default, 10 a second

    // Outcomes: 3 built, dep-pkg failed missing flit_core.
    expect(total(overview.daily, 'success')).toBe(3);
    expect(total(overview.daily, 'failure')).toBe(1);
    expect(overview.daily.at(-1)!.failureKinds).toEqual({ 'missing-dependency': 1 });
    expect(overview.attention).toContainEqual({
      severity: 'warning',
      what: '1 of 4 builds failed in the last 24 h; most missed modules: flit_core (1)',
      link: 'report',
    });

    // Release→submit: the stand-in's own clock says when each submit started.
    const calls = await readSubmitCalls(recordFile);
    expect(calls).toHaveLength(4);
    const startOf = (name: string) => calls.find((call) => call.argv.includes(`repo_addr=${name}`))!.time / 1000;
    const lateSeconds = startOf('late-pkg') - (now - 270);
    const onTime = ['ok-pkg', 'dep-pkg', 'multi'].map((name) => startOf(name) - released);
    const { releaseToSubmit, submitToResult } = overview.latency;
    expect(releaseToSubmit.count).toBe(4);
    // Ranks 2 and 3.8 of [late, 640, 640, 640]: both in the 640 s cell. Counted from late-pkg's wheel, p95 would be an hour.
    expectInCell(releaseToSubmit.p50, Math.min(...onTime));
    expectInCell(releaseToSubmit.p95, Math.max(...onTime));
    const keys = redisKeys(h.setup.prefix);
    const pipeline = h.runtime.redis.pipeline();
    const read = readBuckets(pipeline, keys, 'hour', lastBuckets('hour', Date.now(), 2), LATENCY_FIELDS);
    const cells = mergeLatency(read.parse((await pipeline.exec()) ?? [], 0), 'releaseToSubmit');
    expect(cells[latencyCell(lateSeconds)!]).toBe(1);
    expect(submitToResult.count).toBe(4);
    expect(submitToResult.p95).toBeLessThan(60);

    // Upstream yanks a release that was built: the overview says so, and links its story.
    h.pypi.yank('ok-pkg', '1.0');
    await h.poller.run();
    const after = await readOverview(h.runtime, Date.now());
    expect(after.attention).toContainEqual({
      severity: 'warning',
      what: 'ok-pkg 1.0 was built, then yanked upstream: its RPM may need pulling',
      link: 'why?name=ok-pkg',
    });
    expect(after.lastPoll).toMatchObject({ ok: true, found: 0 });
  });

  test('the farm refusing every submit, then a failing poll: both errors lead the attention list, with the failed jobs', async () => {
    const h = await createPollHarness('changelog', { submit: { attempts: 1 }, source: { retries: 0 } });
    defer(() => h.close());
    const workers = await startWorkers(h.runtime, { queues: ['submit', 'poll'], submitEnv: { STANDIN_SUBMIT_MODE: 'refuse' } });
    defer(() => workers.close(5000));
    await h.poller.run();
    h.pypi.publish([
      { name: 'alpha', version: '1.0' },
      { name: 'beta', version: '1.0' },
      { name: 'gamma', version: '1.0' },
    ]);
    expect(await h.poller.run()).toMatchObject({ queued: 3 });
    await waitFor(async () => (await h.runtime.queues.submit.getJobCounts('failed')).failed === 3, { what: 'three refused submits' });

    // The next poll fails (one HTTP 500, no retries); its job waits for BullMQ's backoff.
    h.pypi.failNext('500');
    await h.runtime.queues.poll.add('poll', {});
    await waitFor(async () => (await readOverview(h.runtime, Date.now())).lastPoll?.ok === false, { what: 'the failed poll recorded' });

    const overview = await readOverview(h.runtime, Date.now());
    expect(overview.lastPoll).toMatchObject({ ok: false, found: 0, queued: 0 });
    expect(overview.lastPoll?.error).toMatch(/500/);
    expect(total(overview.minutely, 'submitsStarted')).toBe(3);
    expect(total(overview.minutely, 'submitsFailed')).toBe(3);
    expect(overview.backlog.submit).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 3 });
    expect(overview.attention.slice(0, 2)).toEqual([
      { severity: 'error', what: `The last poll failed: ${overview.lastPoll?.error}`, link: 'ui/queue/poll' },
      { severity: 'error', what: 'The farm is refusing submits: 3 failed in the last 15 min, none succeeded', link: 'ui/queue/submit' },
    ]);
    expect(overview.attention).toContainEqual({ severity: 'warning', what: '3 failed jobs in queue submit', link: 'ui/queue/submit' });

    // A poll that works again clears the poll's error.
    await h.poller.run();
    const recovered = await readOverview(h.runtime, Date.now());
    expect(recovered.lastPoll).toMatchObject({ ok: true });
    expect(recovered.attention.map((item) => item.what)).not.toContainEqual(expect.stringMatching(/last poll failed/));
  });

  test('hostile job data: forged release and submit times are dropped, the builds still run, the percentiles hold', async () => {
    const srv = await farmDir();
    const w = await createWorkerHarness(
      { results: { every: '100ms', giveUpAfter: '30s', buildMissingDependencies: false, pathMap: { '/srv': srv } } },
      {
        queues: ['submit', 'result'],
      },
    );
    defer(() => w.close());
    const { runtime } = w;
    const target = new SubmitTargets(runtime.config.submit.targets).all[0]!.id;
    const batchId = batchIdFor(new Date());
    const now = Date.now();
    const honest = now - 640_000;
    const forged: unknown[] = [0, now + 10 * 86_400_000, 'yesterday', 1e300, -1e300, now - 60 * 86_400_000, { $gt: 0 }];
    const releasedAt = [honest, honest, honest, honest, ...forged];
    await runtime.queues.submit.addBulk(
      releasedAt.map((at, i) => ({
        name: SUBMIT_JOB_NAME,
        data: { name: `pkg-${i}`, version: '1.0', target, batchId, origin: 'poll', releasedAt: at },
        opts: { jobId: `pkg-${i}|1.0|${target}` },
      })),
    );
    await playFarm(runtime, batchId, srv, releasedAt.length, () => BUILD_OK);
    // Two result jobs with forged submit times, for a build that did finish.
    const list = await readFile(join(runtime.config.paths.logDir, batchId, 'result_root_list'), 'utf8');
    const root = list.split('\n')[0]!;
    for (const [i, submittedAt] of [0, now + 10 * 86_400_000].entries()) {
      await runtime.queues.result.add(
        RESULT_JOB_NAME,
        { name: 'pkg-0', normalized: 'pkg-0', version: '1.0', target, batchId, farmJobId: `forged.${i}`, resultRoot: root, submittedAt },
        { jobId: `forged-result-${i}` },
      );
    }
    await waitFor(async () => (await runtime.queues.result.getJobCounts('completed')).completed === releasedAt.length + 2, {
      what: 'every result followed',
      timeoutMs: 20_000,
    });

    expect((await runtime.queues.submit.getJobCounts('completed', 'failed')).completed).toBe(releasedAt.length);
    const { latency, daily } = await readOverview(runtime, Date.now());
    expect(latency.releaseToSubmit.count).toBe(4);
    const calls = await readSubmitCalls(w.recordFile);
    const honestStarts = calls.filter((call) => /repo_addr=pkg-[0-3]$/.test(call.argv.find((a) => a.startsWith('repo_addr=')) ?? ''));
    expect(honestStarts).toHaveLength(4);
    expectInCell(latency.releaseToSubmit.p50, Math.min(...honestStarts.map((call) => (call.time - honest) / 1000)));
    expectInCell(latency.releaseToSubmit.p95, Math.max(...honestStarts.map((call) => (call.time - honest) / 1000)));
    // Every build counts as an outcome; only the honest submit times as latencies.
    expect(total(daily, 'success')).toBe(releasedAt.length + 2);
    expect(latency.submitToResult.count).toBe(releasedAt.length);
    expect(latency.submitToResult.p95).toBeLessThan(60);
  });
});
