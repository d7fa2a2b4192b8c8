// PyPI misbehaving under a real poll: throttling, server errors, dropped and stalled connections,
// cut-off and runaway bodies, XML-RPC faults. A poll either rides it out or fails cleanly; the cursor
// never moves on a failure, nothing is half-queued, and the next good answer resumes from the cursor.

import { afterEach, describe, expect, test } from 'vitest';
import { FeedFormatError, ResponseTooLargeError, SourceError, XmlRpcFaultError } from '../src/errors.js';
import { startWorkers } from '../src/workers/start-workers.js';
import { createPollHarness, type PollHarness, waitFor } from '@pypi-watch/test-utils';

const harnesses: PollHarness[] = [];
const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  for (const h of harnesses.splice(0)) await h.close();
});

async function harness(...args: Parameters<typeof createPollHarness>): Promise<PollHarness> {
  const h = await createPollHarness(...args);
  harnesses.push(h);
  return h;
}

/** A harness whose first poll has set the cursor, with `count` new releases published after it. */
async function primed(type: 'changelog' | 'rss', count: number, overrides: Record<string, unknown> = {}) {
  const h = await harness(type, overrides);
  await h.poller.run();
  const cursor = await h.poller.state.readCursor(type);
  const published = h.pypi.publishGenerated(count);
  return { h, cursor, published };
}

async function queuedNames(h: PollHarness): Promise<string[]> {
  return (await h.pendingJobIds()).map((id) => id.split('|')[0] ?? '').sort();
}

function retryWarnings(h: PollHarness): Array<Record<string, unknown>> {
  return h.logs.lines.filter((line) => line.msg === 'retrying PyPI request');
}

describe.each(['changelog', 'rss'] as const)('the %s poll rides out transient PyPI trouble', (type) => {
  test.each([
    ['429', 429],
    ['500', 500],
  ] as const)('HTTP %s once: retried inside the poll, every release queued', async (kind, status) => {
    const { h, published } = await primed(type, 30);
    h.pypi.retryAfterSeconds = 1;
    h.pypi.failNext(kind);
    const started = Date.now();
    const result = await h.poller.run();
    expect(result.queued).toBe(30);
    expect(await queuedNames(h)).toEqual(published.map((r) => r.name).sort());
    const [warning] = retryWarnings(h);
    expect(warning).toMatchObject({ level: 40, statusCode: status });
    if (kind === '429') {
      // Retry-After: 1 was honoured, not ignored.
      expect(warning).toMatchObject({ retryAfterMs: 1000 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    }
  });

  test('a reset connection once: retried, every release queued', async () => {
    const { h } = await primed(type, 10);
    h.pypi.failNext('reset');
    expect((await h.poller.run()).queued).toBe(10);
    expect(retryWarnings(h)[0]).toMatchObject({ errorCode: 'ECONNRESET' });
  });

  test('429 past the retry budget: the poll fails naming the status, the cursor stays, the next poll resumes', async () => {
    const { h, cursor, published } = await primed(type, 12);
    h.pypi.failNext('429', 4); // 1 try + 3 retries
    await expect(h.poller.run()).rejects.toSatisfy((error) => error instanceof SourceError && /HTTP 429/.test(error.message));
    expect(await h.poller.state.readCursor(type)).toEqual(cursor);
    expect(await h.pendingJobIds()).toEqual([]);
    expect(await h.updateLists()).toEqual([]);
    expect((await h.poller.run()).queued).toBe(12);
    expect(await queuedNames(h)).toEqual(published.map((r) => r.name).sort());
  });

  test.each([
    ['truncated', FeedFormatError, /not well-formed XML/],
    ['huge', ResponseTooLargeError, /larger than the \d+-byte limit/],
  ] as const)('a %s body fails the poll cleanly; the cursor stays; the next poll resumes', async (kind, errorClass, message) => {
    const { h, cursor } = await primed(type, 15);
    h.pypi.failNext(kind);
    const error = await h.poller.run().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(errorClass);
    expect((error as Error).message).toMatch(message);
    expect(await h.poller.state.readCursor(type)).toEqual(cursor);
    expect(await h.pendingJobIds()).toEqual([]);
    expect(await h.updateLists()).toEqual([]);
    expect((await h.poller.run()).queued).toBe(15);
  });
});

describe('XML-RPC faults', () => {
  test('a fault fails the poll with the fault code and string; the cursor stays; the next poll resumes', async () => {
    const { h, cursor } = await primed('changelog', 8);
    h.pypi.failNext('fault');
    await expect(h.poller.run()).rejects.toSatisfy(
      (error) => error instanceof XmlRpcFaultError && error.faultCode === 1 && error.faultString === 'fake fault',
    );
    expect(await h.poller.state.readCursor('changelog')).toEqual(cursor);
    expect(await h.pendingJobIds()).toEqual([]);
    expect((await h.poller.run()).queued).toBe(8);
  });

  test('the rate-limit fault is waited out (PyPI says when) and the poll succeeds', async () => {
    const { h } = await primed('changelog', 8);
    h.pypi.failNext('rate-fault');
    const started = Date.now();
    expect((await h.poller.run()).queued).toBe(8);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(h.logs.lines.some((line) => line.msg === 'PyPI XML-RPC rate limit, backing off')).toBe(true);
  });

  test('a failure on the second changelog page queues nothing of the first; the next poll queues both pages', async () => {
    const { h, cursor, published } = await primed('changelog', 250, { source: { pagePause: '400ms' } });
    h.pypi.setChangelogPageSize(100);
    const before = h.pypi.requests.length;
    const poll = h.poller.run();
    // changelog_last_serial, then page 1; page 2 follows after the pause.
    await waitFor(() => h.pypi.requests.length >= before + 2, { what: 'the first page' });
    h.pypi.failNext('truncated');
    await expect(poll).rejects.toBeInstanceOf(FeedFormatError);
    expect(await h.poller.state.readCursor('changelog')).toEqual(cursor);
    expect(await h.pendingJobIds()).toEqual([]);
    const resumed = await h.poller.run();
    expect(resumed).toMatchObject({ queued: 250, pages: 5 }); // 500 events: each upload is `new release` + `add source file`
    expect(await queuedNames(h)).toEqual(published.map((r) => r.name).sort());
  });
});

describe('a stalled PyPI', () => {
  // createHttpClient takes `timeoutMs`, but the config file has no key for it: the poll worker always
  // waits the built-in 30 s per attempt, 4 attempts, i.e. over 2 minutes on a stalled connection
  // before the poll fails, with the poll queue (one job at a time) blocked meanwhile.
  test.each(['changelog', 'rss'] as const)(
    '%s: with source.timeout set, one stall is retried and a persistent one fails the poll fast with the cursor kept',
    async (type) => {
      const { h, cursor } = await primed(type, 9, { source: { timeout: '300ms' } });
      h.pypi.failNext('stall');
      expect((await h.poller.run()).queued).toBe(9);
      expect(retryWarnings(h)[0]).toMatchObject({ errorCode: 'ETIMEDOUT' });

      const more = h.pypi.publishGenerated(4);
      const cursorAfter = await h.poller.state.readCursor(type);
      expect(cursorAfter).not.toEqual(cursor);
      h.pypi.failNext('stall', 4); // 1 try + 3 retries
      const started = Date.now();
      await expect(h.poller.run()).rejects.toSatisfy(
        (error) => error instanceof SourceError && /ETIMEDOUT|timed? ?out/i.test(error.message),
      );
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(await h.poller.state.readCursor(type)).toEqual(cursorAfter);
      expect((await h.poller.run()).queued).toBe(more.length);
    },
  );
});

describe('the poll worker', () => {
  test('a failed poll job does not take the worker down; it is logged with its reason, and the next poll job resumes', async () => {
    const { h, cursor, published } = await primed('changelog', 20);
    const workers = await startWorkers(h.runtime, { queues: ['poll'] });
    closers.push(() => workers.close(5000));
    h.pypi.failNext('truncated');
    const failing = await h.runtime.queues.poll.add('poll', {});
    await waitFor(async () => (await failing.getState()) !== 'waiting' && (await failing.getState()) !== 'active', {
      what: 'the failing poll job to settle',
    });
    const failed = await h.runtime.queues.poll.getJob(failing.id ?? '');
    expect(failed?.failedReason).toMatch(/not well-formed XML/);
    expect(await h.poller.state.readCursor('changelog')).toEqual(cursor);

    const next = await h.runtime.queues.poll.add('poll', {});
    await waitFor(async () => (await next.getState()) === 'completed', { what: 'the next poll job' });
    expect(await queuedNames(h)).toEqual(published.map((r) => r.name).sort());
    expect(workers.workers.every((worker) => worker.isRunning())).toBe(true);

    // Operators read logs, not Redis: the first failed attempt must say why, not only the fifth.
    const failureLine = h.logs.lines.find((line) => (line.level as number) >= 40 && JSON.stringify(line).includes('not well-formed XML'));
    expect(failureLine, 'no log line for the failed poll attempt').toBeDefined();
  });
});
