// Notifications from what really happened: real polls of the fake PyPI, real submit and result
// workers, the stand-in `submit` (told to refuse), result folders laid out as the farm would, and the
// real notify worker delivering to a local receiver. Each event arrives once per event (or digest),
// however often the detector runs, and across a worker restart.

import { describe, expect, test } from 'vitest';
import { batchIdFor } from '../src/batch/batch-log.js';
import { enqueueSubmits } from '../src/enqueue/enqueue-submits.js';
import { notifyDetectorFor, runDetector, type DetectorRunResult } from '../src/notify/index.js';
import { resolveWebhooks } from '../src/notify/notify-config.js';
import { listSchedules, NOTIFY_SCHEDULER_ID, registerSchedules } from '../src/scheduler/register-schedules.js';
import type { Runtime } from '../src/runtime.js';
import { startWorkers, type WorkerSet } from '../src/workers/start-workers.js';
import {
  cleanupsAfterEach,
  createFarmDir,
  createPollHarness,
  createWorkerHarness,
  FakePypi,
  playFarm,
  startWebhookReceiver,
  waitFor,
  type PollHarness,
  type WebhookReceiver,
} from '@pypi-watch/test-utils';

const defer = cleanupsAfterEach();

const receiver = () => startWebhookReceiver(defer);

/** Fast retries, no pacing to wait for, alarms resolved at once: the tests count messages, not seconds. */
const notifyConfig = (r: WebhookReceiver, extra: Record<string, unknown> = {}) => ({
  notify: { webhooks: [{ url: r.url('/hook') }], backoff: '50ms', rateLimit: { max: 100, duration: '1s' }, resolveAfter: 0, ...extra },
});

/** One detector run, as the notify worker's `detect` job does it, at `now`. */
function detectAt(runtime: Runtime, now = Date.now()): Promise<DetectorRunResult> {
  return runDetector({ ...notifyDetectorFor(runtime, resolveWebhooks(runtime.config.notify.webhooks, {})), now: () => now });
}

/** What the receiver got: each message's event, state and id. */
const received = (r: WebhookReceiver) =>
  r.requests.map((req) => {
    const body = req.json as { event: string; state: string; id: string };
    return `${body.event} ${body.state}`;
  });

/** No delivery job left to run (the scheduler's next `detect` job may wait in `delayed`). */
async function noMoreDeliveries(runtime: Runtime): Promise<void> {
  await waitFor(
    async () =>
      (await runtime.queues.notify.getJobs(['waiting', 'active', 'delayed', 'prioritized'])).every((job) => job.name !== 'deliver'),
    {
      what: 'no delivery left',
    },
  );
}

async function workers(
  runtime: Runtime,
  queues: Parameters<typeof startWorkers>[1]['queues'],
  submitEnv: Record<string, string> = {},
): Promise<WorkerSet> {
  const set = await startWorkers(runtime, { queues, submitEnv, notifyEnv: {} });
  let closed = false;
  defer(async () => {
    if (!closed) await set.close(5000);
  });
  return { workers: set.workers, close: async (ms) => ((closed = true), set.close(ms)) };
}

describe('notifications from the real pipeline', () => {
  test('built, then yanked upstream, and the build-failure digest: once each, across detector runs and a notify worker restart', async () => {
    const r = await receiver();
    const srv = await createFarmDir(defer);
    const h: PollHarness = await createPollHarness('changelog', {
      results: { every: '100ms', giveUpAfter: '30s', buildMissingDependencies: false, pathMap: { '/srv': srv } },
      ...notifyConfig(r, { digestEvery: '1m' }),
    });
    defer(() => h.close());
    await h.poller.run();
    const pipeline = await workers(h.runtime, ['submit', 'result']);
    const notifier = await workers(h.runtime, ['notify']);
    expect((await detectAt(h.runtime)).messages).toEqual([]);

    h.pypi.publish([
      { name: 'ok-pkg', version: '1.0' },
      { name: 'bad-pkg', version: '2.0' },
    ]);
    const poll = await h.poller.run();
    await playFarm(h.runtime, poll.batchId!, srv, 2, (name) =>
      name === 'bad-pkg'
        ? { output: 'error\n', 'build.log': "ModuleNotFoundError: No module named 'flit_core'\n" }
        : { output: 'rpmbuild success\n' },
    );
    await waitFor(async () => (await h.runtime.queues.result.getJobCounts('completed')).completed === 2, { what: 'both results' });
    h.pypi.yank('ok-pkg', '1.0');
    expect(await h.poller.run()).toMatchObject({ builtThenWithdrawn: 1 });

    const first = await detectAt(h.runtime);
    expect(first.messages).toEqual([expect.stringMatching(/^built-then-withdrawn-/)]);
    expect((await detectAt(h.runtime)).messages).toEqual([]);

    // A new notify worker (a restart): the detector's memory is in Redis, nothing is told again.
    await notifier.close(5000);
    await workers(h.runtime, ['notify']);
    expect((await detectAt(h.runtime)).messages).toEqual([]);
    // Past the digest interval: one digest of bad-pkg's failure, then no second one.
    const later = Date.now() + 2 * 60_000;
    expect((await detectAt(h.runtime, later)).messages).toEqual([expect.stringMatching(/^build-failures-/)]);
    expect((await detectAt(h.runtime, later + 1000)).messages).toEqual([]);
    await waitFor(() => r.requests.length >= 2, { what: 'two messages' });
    await noMoreDeliveries(h.runtime);
    expect(received(r).sort()).toEqual(['build-failures fired', 'built-then-withdrawn fired']);

    const withdrawn = r.requests.map((req) => req.json as { event: string; text: string; details: Record<string, unknown> });
    expect(withdrawn.find((m) => m.event === 'built-then-withdrawn')?.text).toMatch(/^ok-pkg 1\.0: yanked at /);
    const digest = withdrawn.find((m) => m.event === 'build-failures');
    expect(digest?.details).toMatchObject({
      total: 1,
      byKind: { 'missing-dependency': 1 },
      failures: [expect.objectContaining({ name: 'bad-pkg', version: '2.0', kind: 'missing-dependency' })],
    });
    await pipeline.close(5000);
  });

  test('the farm refusing submits: one alarm, none again after a restart, one "resolved" once a submit succeeds', async () => {
    const r = await receiver();
    const h = await createWorkerHarness(
      { submit: { attempts: 2 }, ...notifyConfig(r, { refusedAfter: 3 }) },
      { queues: ['submit', 'notify'], submitEnv: { STANDIN_SUBMIT_MODE: 'refuse', STANDIN_SUBMIT_ERROR: 'queue is full, try later' } },
    );
    defer(() => h.close());
    const enqueue = (names: string[]) =>
      enqueueSubmits({
        queue: h.runtime.queues.submit,
        releases: names.map((name) => ({ name, normalized: name, version: '1.0' })),
        targets: h.setup.config.submit.targets,
        batchId: batchIdFor(new Date()),
        origin: 'enqueue',
      });
    expect((await detectAt(h.runtime)).messages).toEqual([]);
    await enqueue(['one', 'two']);
    await waitFor(async () => (await h.runtime.queues.submit.getJobCounts('failed')).failed === 2, { what: 'two refused submits' });
    expect((await detectAt(h.runtime)).messages).toEqual([expect.stringMatching(/^submits-refused-opened-/)]);
    expect((await detectAt(h.runtime)).messages).toEqual([]);

    // Restart the workers; this time the farm takes the submit.
    await h.workers.close(5000);
    const after = await workers(h.runtime, ['submit', 'notify'], { STANDIN_SUBMIT_RECORD: h.recordFile });
    expect((await detectAt(h.runtime)).messages).toEqual([]);
    await enqueue(['three']);
    await waitFor(async () => (await h.runtime.queues.submit.getJobCounts('completed')).completed === 1, { what: 'the accepted submit' });
    expect((await detectAt(h.runtime)).messages).toEqual([expect.stringMatching(/^submits-refused-resolved-/)]);
    expect((await detectAt(h.runtime)).messages).toEqual([]);

    await waitFor(() => r.requests.length >= 2, { what: 'both messages' });
    await noMoreDeliveries(h.runtime);
    expect(received(r)).toEqual(['submits-refused opened', 'submits-refused resolved']);
    const opened = r.requests[0]!.json as { text: string; details: Record<string, unknown> };
    expect(opened.details).toMatchObject({ failedInARow: 4 });
    expect(opened.text).toContain('queue is full, try later');
    await after.close(5000);
  });

  test('a poll failing for good opens poll-failing once; the next good poll resolves it', async () => {
    const r = await receiver();
    const pypi = new FakePypi();
    await pypi.start();
    defer(() => pypi.stop());
    const h = await createWorkerHarness(
      { source: { type: 'changelog', baseUrl: pypi.baseUrl, pagePause: 0, retries: 0, timeout: '2s' }, ...notifyConfig(r) },
      { queues: ['poll', 'notify'] },
    );
    defer(() => h.close());
    let n = 0;
    /** A scheduled-like poll job, one attempt (the queue's default is 5 over minutes). */
    const pollOnce = async (): Promise<string> => {
      const job = await h.runtime.queues.poll.add('poll', {}, { jobId: `test-poll-${++n}`, attempts: 1 });
      return waitFor(async () => {
        const state = await job.getState();
        return state === 'completed' || state === 'failed' ? state : undefined;
      });
    };
    expect(await pollOnce()).toBe('completed');
    expect((await detectAt(h.runtime)).messages).toEqual([]);

    pypi.failNext('500');
    expect(await pollOnce()).toBe('failed');
    expect((await detectAt(h.runtime)).messages).toEqual([expect.stringMatching(/^poll-failing-opened-/)]);
    expect((await detectAt(h.runtime)).messages).toEqual([]);
    expect(await pollOnce()).toBe('completed');
    expect((await detectAt(h.runtime)).messages).toEqual([expect.stringMatching(/^poll-failing-resolved-/)]);

    await waitFor(() => r.requests.length >= 2, { what: 'both messages' });
    await noMoreDeliveries(h.runtime);
    expect(received(r)).toEqual(['poll-failing opened', 'poll-failing resolved']);
    expect((r.requests[0]!.json as { text: string }).text).toMatch(/A poll failed after all its retries: .*500/);
  });

  test('an RSS gap from a real poll is told once by the scheduled detector (notify.every)', async () => {
    const r = await receiver();
    const h = await createPollHarness('rss', notifyConfig(r, { every: '1s' }));
    defer(() => h.close());
    await workers(h.runtime, ['notify']);
    await registerSchedules(h.runtime.queues, h.setup.config);
    expect(await listSchedules(h.runtime.queueState)).toContainEqual(
      expect.objectContaining({ queue: 'notify', id: NOTIFY_SCHEDULER_ID, everyMs: 1000 }),
    );
    const runs = async () => Number((await h.runtime.redis.hget(h.runtime.stores.keys.notifyState, 'version')) ?? 0);
    await waitFor(async () => (await runs()) >= 1, { what: 'the first scheduled detector run (baseline)', timeoutMs: 10_000 });

    h.pypi.publishGenerated(1);
    await h.poller.run();
    h.pypi.publishGenerated(150, { sameSecond: 3 });
    expect(await h.poller.run()).toMatchObject({ gap: true });
    await waitFor(() => r.requests.length >= 1, { what: 'the rss-gap message', timeoutMs: 10_000 });
    const seen = await runs();
    await waitFor(async () => (await runs()) >= seen + 2, { what: 'two more detector runs', timeoutMs: 10_000 });
    await noMoreDeliveries(h.runtime);
    expect(received(r)).toEqual(['rss-gap fired']);
    expect((r.requests[0]!.json as { text: string }).text).toContain('source.type: changelog');

    // Without webhooks the scheduler takes the detector away again.
    await registerSchedules(h.runtime.queues, { ...h.setup.config, notify: { ...h.setup.config.notify, webhooks: [] } });
    expect(await h.runtime.queues.notify.getJobSchedulers()).toEqual([]);
  });
});
