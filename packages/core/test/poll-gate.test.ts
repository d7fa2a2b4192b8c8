// What gets built, and when: the sdist gate, the cool-down, latest wins, and every withdrawal PyPI
// writes, through the real poll against the fake PyPI's changelog, RSS and JSON API.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, test } from 'vitest';
import { PendingLatest } from '../src/coalesce/pending-latest.js';
import { BuiltThenWithdrawn } from '../src/decisions/built-then-withdrawn.js';
import { SdistGate } from '../src/gate/sdist-gate.js';
import { createPoller } from '../src/poll/poller.js';
import { createReleaseFilesLookup } from '../src/sources/create-source.js';
import { DecisionLog, describeDecision } from '../src/decisions/decision-log.js';
import { MetricsStore } from '../src/metrics/metrics-store.js';
import { redisKeys } from '../src/redis/redis-keys.js';
import { startWorkers, type WorkerSet } from '../src/workers/start-workers.js';
import { createPollHarness, type PollHarness, readSubmitCalls, waitFor } from '@pypi-watch/test-utils';

const TWO_TARGETS = {
  submit: {
    targets: [
      { os_arch: 'aarch64', testbox: 'vm-2p8g' },
      { os_arch: 'x86_64', testbox: 'vm-2p8g' },
    ],
  },
};

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function harness(...args: Parameters<typeof createPollHarness>): Promise<PollHarness> {
  const h = await createPollHarness(...args);
  cleanups.push(() => h.close());
  return h;
}

async function story(h: PollHarness, name: string, version?: string): Promise<string[]> {
  const log = new DecisionLog({ redis: h.runtime.redis, keys: redisKeys(h.setup.prefix), ttlMs: 86_400_000 });
  return (await log.story(name, version)).map(describeDecision);
}

/** Submit workers on the harness's runtime, with the stand-in recording each call. */
async function startSubmitWorkers(h: PollHarness): Promise<{ workers: WorkerSet; recordFile: string }> {
  const recordFile = join(h.setup.dir, 'submit-calls.jsonl');
  const workers = await startWorkers(h.runtime, { queues: ['submit'], submitEnv: { STANDIN_SUBMIT_RECORD: recordFile } });
  cleanups.push(() => workers.close(5000));
  return { workers, recordFile };
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

describe('the sdist gate, changelog mode', () => {
  test('wheels first, the sdist one poll later: queued once per target, after the sdist arrives', async () => {
    const h = await harness('changelog', TWO_TARGETS);
    await h.poller.run();
    h.pypi.publish([{ name: 'Late-Sdist', version: '1.0', files: ['bdist_wheel'] }]);
    const first = await h.poller.run();
    expect(first).toMatchObject({ found: 1, queued: 0, waiting: 1 });
    expect(await h.pendingJobIds()).toEqual([]);
    expect((await story(h, 'late-sdist', '1.0')).join('\n')).toMatch(/waiting for sdist since/);

    h.pypi.addFile('Late-Sdist', '1.0', 'sdist');
    const second = await h.poller.run();
    expect(second).toMatchObject({ queued: 1, queuedJobs: 2, waiting: 0 });
    expect((await h.pendingJobIds()).sort()).toEqual([
      'late-sdist|1.0|os_arch=aarch64,testbox=vm-2p8g',
      'late-sdist|1.0|os_arch=x86_64,testbox=vm-2p8g',
    ]);
    // Its next wheel is no news, and nothing is left at the gate.
    h.pypi.addFile('Late-Sdist', '1.0', 'bdist_wheel');
    expect(await h.poller.run()).toMatchObject({ queued: 0, duplicate: 0, waiting: 0 });
    expect(await h.runtime.redis.hlen(redisKeys(h.setup.prefix).gate)).toBe(0);
  });

  test('a wheel-only release is never queued, and is given up after filters.sdistWait', async () => {
    const h = await harness('changelog');
    await h.poller.run();
    const old = nowSeconds() - 15 * 86_400;
    h.pypi.publish([
      { name: 'wheels-only', version: '2.0', files: ['bdist_wheel'] },
      { name: 'ancient-wheels', version: '1.0', files: ['bdist_wheel'], timestamp: old },
    ]);
    const result = await h.poller.run();
    expect(result).toMatchObject({ queued: 0, waiting: 1, noSdist: 1 });
    expect((await story(h, 'wheels-only', '2.0')).join('\n')).toMatch(/waiting for sdist since/);
    expect((await story(h, 'ancient-wheels', '1.0')).join('\n')).toMatch(/no sdist on PyPI since .*sdistWait/);
    expect(await h.pendingJobIds()).toEqual([]);
    // Decided for good: a late file does not bring it back.
    h.pypi.addFile('ancient-wheels', '1.0', 'sdist');
    expect((await h.poller.run()).queued).toBe(0);
  });

  test('a waiting release is given up when filters.sdistWait runs out between polls', async () => {
    const h = await harness('changelog', { filters: { sdistWait: '1m' } });
    await h.poller.run();
    h.pypi.publish([{ name: 'almost-expired', version: '1.0', files: ['bdist_wheel'], timestamp: nowSeconds() - 58 }]);
    expect(await h.poller.run()).toMatchObject({ waiting: 1, noSdist: 0 });
    await sleep(2500);
    expect(await h.poller.run()).toMatchObject({ waiting: 0, noSdist: 1, queued: 0 });
    expect(await h.runtime.redis.hlen(redisKeys(h.setup.prefix).gate)).toBe(0);
  });

  test('a backfill that starts mid-release asks the JSON API, and an sdist event alone is enough', async () => {
    const h = await harness('changelog');
    await h.poller.run();
    h.pypi.publish([{ name: 'before-cursor', version: '1.0', files: ['sdist'] }]);
    h.pypi.publish([{ name: 'sdist-later', version: '3.0', files: ['bdist_wheel'] }]);
    const since = h.pypi.lastSerial;
    h.pypi.addFile('before-cursor', '1.0', 'bdist_wheel');
    h.pypi.addFile('sdist-later', '3.0', 'sdist');
    const result = await h.poller.run({ since });
    expect(result).toMatchObject({ found: 0, queued: 2 });
    const jsonRequests = h.pypi.requests.filter((r) => r.path.endsWith('/json'));
    expect(jsonRequests.map((r) => r.path)).toEqual(['/pypi/before-cursor/1.0/json']);
  });

  test('requireSdist: false queues on the first event, as before', async () => {
    const h = await harness('changelog', { filters: { requireSdist: false } });
    await h.poller.run();
    h.pypi.publish([{ name: 'no-gate', version: '1.0', files: ['bdist_wheel'] }]);
    expect(await h.poller.run()).toMatchObject({ queued: 1, waiting: 0 });
  });
});

describe('the sdist gate, RSS mode', () => {
  test('each new item is checked on the JSON API in the same poll; wheel-only ones wait', async () => {
    const h = await harness('rss');
    await h.poller.run();
    h.pypi.publish([
      { name: 'has-sdist', version: '1.0', files: ['bdist_wheel', 'sdist'] },
      { name: 'wheel-only', version: '1.0', files: ['bdist_wheel'] },
    ]);
    const result = await h.poller.run();
    expect(result).toMatchObject({ found: 2, queued: 1, waiting: 1 });
    expect((await h.pendingJobIds()).map((id) => id.split('|')[0])).toEqual(['has-sdist']);
    expect(h.pypi.requests.filter((r) => r.path.endsWith('/json'))).toHaveLength(2);
  });

  test('a stale JSON page (X-PyPI-Last-Serial below the event) is asked again on the next poll', async () => {
    const h = await harness('rss');
    await h.poller.run();
    h.pypi.publish([{ name: 'cdn-lag', version: '1.0', files: ['bdist_wheel'] }]);
    h.pypi.setJsonStale('cdn-lag', true);
    h.pypi.addFile('cdn-lag', '1.0', 'sdist');
    // RSS events carry no serial, so the stale page is a wheel-only one: it waits for a re-check.
    const first = await h.poller.run();
    expect(first).toMatchObject({ queued: 0, waiting: 1 });
    h.pypi.setJsonStale('cdn-lag', false);
    // The re-check backs off from source.every; make it due now.
    const keys = redisKeys(h.setup.prefix);
    await h.runtime.redis.zadd(keys.gateDue.waiting, 0, 'cdn-lag==1.0');
    expect(await h.poller.run()).toMatchObject({ queued: 1 });
  });
});

describe('stale JSON pages, changelog mode', () => {
  test('a page older than the event that sent us there waits for the next poll', async () => {
    const h = await harness('changelog');
    await h.poller.run();
    h.pypi.publish([{ name: 'stale-page', version: '1.0', files: ['sdist'] }]);
    h.pypi.setJsonStale('stale-page', true);
    const since = h.pypi.lastSerial;
    h.pypi.addFile('stale-page', '1.0', 'bdist_wheel');
    const first = await h.poller.run({ since });
    expect(first).toMatchObject({ queued: 0, waiting: 1 });
    expect((await story(h, 'stale-page', '1.0')).join('\n')).toMatch(/stale/);
    h.pypi.setJsonStale('stale-page', false);
    expect(await h.poller.run()).toMatchObject({ queued: 1, waiting: 0 });
  });
});

describe('the cool-down (filters.minAge)', () => {
  test('a release is held until it is old enough; an old one goes at once; a yank during the hold drops it', async () => {
    const h = await harness('changelog', { filters: { minAge: '3s' } });
    await h.poller.run();
    h.pypi.publish([
      { name: 'fresh', version: '1.0', timestamp: nowSeconds() },
      { name: 'seasoned', version: '1.0', timestamp: nowSeconds() - 3600 },
      { name: 'regretted', version: '1.0', timestamp: nowSeconds() },
    ]);
    expect(await h.poller.run()).toMatchObject({ queued: 1, held: 2 });
    expect((await story(h, 'fresh', '1.0')).join('\n')).toMatch(/held by filters.minAge until/);
    h.pypi.yank('regretted', '1.0');
    await sleep(3200);
    expect(await h.poller.run()).toMatchObject({ queued: 1, held: 0, withdrawn: 1 });
    expect((await h.pendingJobIds()).map((id) => id.split('|')[0]).sort()).toEqual(['fresh', 'seasoned']);
  });
});

describe('latest wins (submit.coalesce)', () => {
  test('1.0, then 1.1 and 1.2 before a worker runs: one submit per target, for the newest', async () => {
    const h = await harness('changelog', TWO_TARGETS);
    await h.poller.run();
    h.pypi.publish([{ name: 'rapid', version: '1.0' }]);
    expect(await h.poller.run()).toMatchObject({ queued: 1, queuedJobs: 2 });
    h.pypi.publish([
      { name: 'rapid', version: '1.1' },
      { name: 'rapid', version: '1.2' },
    ]);
    expect(await h.poller.run()).toMatchObject({ queued: 1, queuedJobs: 0, joined: 1, superseded: 1 });
    expect(await h.pendingJobIds()).toHaveLength(2);
    expect((await story(h, 'rapid', '1.1')).join('\n')).toMatch(/superseded by 1\.2/);
    expect((await story(h, 'rapid', '1.2')).join('\n')).toMatch(/joined the waiting submit job/);

    const { recordFile } = await startSubmitWorkers(h);
    await waitFor(async () => (await readSubmitCalls(recordFile)).length >= 2, { what: 'two submits' });
    await waitFor(async () => (await h.runtime.queues.submit.getJobCounts('completed')).completed === 2, { what: 'two completed' });
    const calls = await readSubmitCalls(recordFile);
    expect(calls).toHaveLength(2);
    expect(calls.every((call) => call.argv.includes('repo_addr=rapid'))).toBe(true);
    const rapid10 = (await story(h, 'rapid', '1.0')).join('\n');
    expect(rapid10).toMatch(/superseded by 1\.2/);
    expect((await story(h, 'rapid', '1.2')).join('\n')).toMatch(/submitted for os_arch=x86_64/);

    // Running or done is left alone: a newer version gets a job of its own.
    h.pypi.publish([{ name: 'rapid', version: '1.3' }]);
    expect(await h.poller.run()).toMatchObject({ queued: 1, queuedJobs: 2, joined: 0 });
  });

  test('coalesce: false keeps one job per version', async () => {
    const h = await harness('changelog', { submit: { coalesce: false } });
    await h.poller.run();
    h.pypi.publish([
      { name: 'each', version: '1.0' },
      { name: 'each', version: '1.1' },
    ]);
    expect(await h.poller.run()).toMatchObject({ queued: 2, superseded: 0 });
    expect(await h.pendingJobIds()).toHaveLength(2);
  });

  test('a stale pending entry whose job is gone is not joined: the release gets its own job', async () => {
    const h = await harness('changelog');
    await h.poller.run();
    h.pypi.publish([{ name: 'ghost', version: '1.0' }]);
    await h.poller.run();
    const [id] = await h.pendingJobIds();
    await h.runtime.queues.submit.remove(id!);
    h.pypi.publish([{ name: 'ghost', version: '1.1' }]);
    expect(await h.poller.run()).toMatchObject({ queued: 1, queuedJobs: 1, joined: 0 });
    expect(await h.pendingJobIds()).toEqual(['ghost|1.1|os_arch=aarch64,testbox=vm-2p8g']);
  });
});

describe('withdrawals and restorations', () => {
  test.each([
    ['yank', 'unyank'],
    ['quarantineRelease', 'clearReleaseQuarantine'],
  ] as const)('%s removes the not-started job; %s makes the release eligible again', async (withdraw, restore) => {
    const h = await harness('changelog');
    await h.poller.run();
    h.pypi.publish([{ name: 'flaky', version: '1.0' }]);
    await h.poller.run();
    h.pypi[withdraw]('flaky', '1.0');
    expect(await h.poller.run()).toMatchObject({ withdrawn: 1, withdrawnJobsRemoved: 1 });
    expect(await h.pendingJobIds()).toEqual([]);
    h.pypi[restore]('flaky', '1.0');
    expect(await h.poller.run()).toMatchObject({ restored: 1, queued: 1 });
    expect(await h.pendingJobIds()).toEqual(['flaky|1.0|os_arch=aarch64,testbox=vm-2p8g']);
    expect((await story(h, 'flaky', '1.0')).join('\n')).toMatch(/restored on PyPI/);
  });

  test('a quarantined project loses all its jobs and waiting releases; clearing it restores them', async () => {
    const h = await harness('changelog');
    await h.poller.run();
    h.pypi.publish([
      { name: 'suspect', version: '1.0' },
      { name: 'suspect-tools', version: '1.0' },
    ]);
    h.pypi.publish([{ name: 'suspect', version: '2.0', files: ['bdist_wheel'] }]);
    expect(await h.poller.run()).toMatchObject({ queued: 2, waiting: 1 });
    h.pypi.quarantineProject('suspect');
    expect(await h.poller.run()).toMatchObject({ withdrawn: 1, withdrawnJobsRemoved: 1 });
    expect((await h.pendingJobIds()).map((id) => id.split('|')[0])).toEqual(['suspect-tools']);
    const gate = redisKeys(h.setup.prefix).gateDue;
    expect(await h.runtime.redis.zcard(gate.waiting)).toBe(0);
    expect(await h.runtime.redis.zcard(gate.withdrawn)).toBe(2);
    h.pypi.clearProjectQuarantine('suspect');
    // 1.0 had its sdist and is queued again; 2.0 is back to waiting for one.
    expect(await h.poller.run()).toMatchObject({ restored: 1, queued: 1, waiting: 1 });
    expect((await h.pendingJobIds()).sort()).toEqual([
      'suspect-tools|1.0|os_arch=aarch64,testbox=vm-2p8g',
      'suspect|1.0|os_arch=aarch64,testbox=vm-2p8g',
    ]);
  });

  test('published and yanked in one poll is never queued; the unyank in the next poll queues it', async () => {
    const h = await harness('changelog');
    await h.poller.run();
    h.pypi.publish([{ name: 'blink', version: '1.0' }]);
    h.pypi.yank('blink', '1.0');
    expect(await h.poller.run()).toMatchObject({ queued: 0, withdrawn: 1 });
    h.pypi.unyank('blink', '1.0');
    expect(await h.poller.run()).toMatchObject({ queued: 1 });
  });

  test('a release yanked after its submit is on its story, in /metrics counters and in the report list', async () => {
    const h = await harness('changelog');
    await h.poller.run();
    h.pypi.publish([{ name: 'shipped', version: '1.0' }]);
    await h.poller.run();
    await startSubmitWorkers(h);
    await waitFor(async () => (await h.runtime.queues.submit.getJobCounts('completed')).completed === 1, { what: 'the submit' });
    h.pypi.yank('shipped', '1.0');
    expect(await h.poller.run()).toMatchObject({ withdrawn: 1, builtThenWithdrawn: 1 });
    expect((await story(h, 'shipped', '1.0')).join('\n')).toMatch(/built, then yanked upstream/);
    const metrics = await new MetricsStore({ redis: h.runtime.redis, keys: redisKeys(h.setup.prefix) }).snapshot();
    expect(metrics.builtThenWithdrawn).toEqual({ yanked: 1, removed: 0, quarantined: 0 });
    const listed = await new BuiltThenWithdrawn(h.runtime.redis, redisKeys(h.setup.prefix)).since(0);
    expect(listed).toEqual([expect.objectContaining({ normalized: 'shipped', version: '1.0', reason: 'yanked' })]);
  });

  test('a hostile withdrawal version is bounded and never stored whole', async () => {
    const h = await harness('changelog');
    await h.poller.run();
    h.pypi.publish([{ name: 'target', version: 'x'.repeat(5_000_000), action: 'yank release' }]);
    h.pypi.publish([{ name: 'target', version: '\u001b]0;owned\u0007\u001b[2J', action: 'yank release' }]);
    const result = await h.poller.run();
    expect(result).toMatchObject({ withdrawn: 0, invalid: 2 });
    // The story as stored (decisions/story-text.ts): its separators are controls 0x10-0x19 and 0x1d-0x1f,
    // the text's own controls are escaped.
    const redis = h.runtime.redis;
    const buckets = await redis.keys(`*${h.setup.prefix}*:why-stories:*`);
    const stored = (await Promise.all(buckets.map((key) => redis.hget(key, 'target')))).filter((story) => story !== null);
    expect(stored).toHaveLength(1);
    expect(stored.join('').length).toBeLessThan(2000);
    expect(stored.join('')).not.toMatch(/[\u0000-\u000f\u001a-\u001c]/);
  });
});

describe('cursor sanity', () => {
  test('a changelog serial far above the head leaves the next release still found', async () => {
    const h = await harness('changelog');
    await h.poller.run();
    h.pypi.publishMalformed({ changelog: ['bogus', '1.0', nowSeconds(), 'new release', 10 ** 12] });
    await h.poller.run();
    const cursor = (await h.poller.state.readCursor('changelog')) as { serial: number };
    expect(cursor.serial).toBeLessThanOrEqual(h.pypi.lastSerial);
    h.pypi.publish([{ name: 'after-bogus', version: '1.0' }]);
    const result = await h.poller.run();
    expect(result.queued).toBe(1);
    expect(result.lag).toBe(0);
  });
});

describe('latest wins and withdrawals together (found by attacking it)', () => {
  test('a version that joined a waiting job, then was yanked and unyanked, is built', async () => {
    const h = await harness('changelog');
    await h.poller.run();
    h.pypi.publish([{ name: 'rejoin', version: '1.0' }]);
    await h.poller.run();
    h.pypi.publish([{ name: 'rejoin', version: '1.1' }]);
    expect(await h.poller.run()).toMatchObject({ joined: 1 });
    h.pypi.yank('rejoin', '1.1');
    expect(await h.poller.run()).toMatchObject({ withdrawn: 1, withdrawnJobsRemoved: 0 });
    h.pypi.unyank('rejoin', '1.1');
    expect(await h.poller.run()).toMatchObject({ restored: 1, queued: 1, joined: 1 });
    await startSubmitWorkers(h);
    await waitFor(async () => (await h.runtime.queues.submit.getJobCounts('completed')).completed === 1, { what: 'the submit' });
    expect((await story(h, 'rejoin', '1.1')).join('\n')).toMatch(/submitted for/);
    expect((await story(h, 'rejoin', '1.0')).join('\n')).toMatch(/superseded by 1\.1/);
  });

  test('a poll that replays after its worker claimed a joined version does not give that version a job of its own', async () => {
    const h = await harness('changelog');
    const keys = redisKeys(h.setup.prefix);
    const pending = new PendingLatest({ redis: h.runtime.redis, keys, jobKeyPrefix: h.runtime.queues.submit.toKey('') });
    const own = { normalized: 'replayed', targetId: 't', name: 'replayed' };
    const j10 = 'replayed|1.0|t';
    expect(await pending.join([{ ...own, jobId: j10, version: '1.0' }])).toEqual([undefined]);
    await h.runtime.queues.submit.add('submit', { name: 'replayed' }, { jobId: j10 });
    expect(await pending.join([{ ...own, jobId: 'replayed|1.1|t', version: '1.1' }])).toEqual([j10]);
    // The worker takes the job (the poll failed before marking 1.1 seen)...
    const claimed = await pending.claim({ ...own, jobId: j10, version: '1.0' });
    expect(claimed?.versions).toEqual(['1.0', '1.1']);
    expect(await pending.release('replayed', 't', claimed!)).toBe(true);
    // ...and the poll replays: 1.1 was built by that job, a newer 1.2 is not.
    expect(await pending.join([{ ...own, jobId: 'replayed|1.1|t', version: '1.1' }])).toEqual([j10]);
    expect(await pending.join([{ ...own, jobId: 'replayed|1.2|t', version: '1.2' }])).toEqual([undefined]);
  });

  test('switching filters.requireSdist off releases what was waiting at the next poll', async () => {
    const h = await harness('changelog');
    await h.poller.run();
    h.pypi.publish([{ name: 'waited', version: '1.0', files: ['bdist_wheel'] }]);
    expect(await h.poller.run()).toMatchObject({ waiting: 1 });
    const config = { ...h.setup.config, filters: { ...h.setup.config.filters, requireSdist: false } };
    const ungated = await createPoller({ config, redis: h.runtime.redis, queues: h.runtime.queues, logger: h.logs.logger });
    expect(await ungated.run()).toMatchObject({ queued: 1 });
    expect(await h.pendingJobIds()).toEqual(['waited|1.0|os_arch=aarch64,testbox=vm-2p8g']);
  });

  test('a JSON API that keeps failing is asked only a few times per poll', async () => {
    let requests = 0;
    const server = createServer((_request, response) => {
      requests++;
      response.writeHead(503).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const h = await harness('rss');
    const gate = new SdistGate({
      requireSdist: true,
      sdistWaitMs: 86_400_000,
      minAgeMs: 0,
      recheckMs: 60_000,
      sourceReportsFiles: false,
      lookup: createReleaseFilesLookup({ baseUrl, retries: 0, pauseMs: 0, concurrency: 1 }),
      logger: h.logs.logger,
    });
    gate.beginPoll();
    const candidates = Array.from({ length: 40 }, (_, i) => ({
      key: `down-${i}==1.0`,
      name: `down-${i}`,
      normalized: `down-${i}`,
      version: '1.0',
      isPrerelease: false,
      since: Date.now(),
      hasSdist: false,
      lookup: true,
      checks: 0,
    }));
    const verdicts = await gate.decide(candidates);
    expect(verdicts.every((v) => v.kind === 'store' && v.entry.state === 'waiting')).toBe(true);
    // Five failures in a row stop the poll's checks; the ones already in flight (4 at once) finish.
    expect(requests).toBeGreaterThanOrEqual(5);
    expect(requests).toBeLessThanOrEqual(8);
  });
});
