// The poll job: every new release queued exactly once, in both source modes, on the real Redis.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { MetricsStore } from '../src/metrics/metrics-store.js';
import { redisKeys } from '../src/redis/redis-keys.js';
import { createPollHarness, type PollHarness } from '@pypi-watch/test-utils';

const harnesses: PollHarness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});

async function harness(...args: Parameters<typeof createPollHarness>): Promise<PollHarness> {
  const h = await createPollHarness(...args);
  harnesses.push(h);
  return h;
}

describe.each(['changelog', 'rss'] as const)('poll from the %s source', (type) => {
  test('the first run sets the cursor without queueing history', async () => {
    const h = await harness(type);
    h.pypi.publishGenerated(300);
    const first = await h.poller.run();
    expect(first).toMatchObject({ queued: 0, queuedJobs: 0, cursorBefore: null });
    expect(first.cursorAfter).not.toBeNull();
    expect(await h.pendingJobIds()).toEqual([]);
    expect(await h.updateLists()).toEqual([]);
  });

  // The RSS feed holds the newest 100 releases and takes no parameters: one request sees at most that.
  const between = type === 'changelog' ? 1000 : 90;
  test(`${between} releases between two polls are all queued exactly once; the next poll queues nothing`, async () => {
    const h = await harness(type);
    h.pypi.setChangelogPageSize(100);
    h.pypi.publishGenerated(5);
    await h.poller.run();
    const published = h.pypi.publishGenerated(between, { sameSecond: 7 });

    const second = await h.poller.run();
    expect(second).toMatchObject({
      found: between,
      invalid: 0,
      filtered: 0,
      duplicate: 0,
      queued: between,
      queuedJobs: between,
      capped: false,
      gap: false,
    });
    // Each release is two changelog events (`new release`, `add source file`): 20 pages of 100.
    expect(second.pages).toBe(type === 'changelog' ? 20 : 1);
    const ids = await h.pendingJobIds();
    expect(new Set(ids).size).toBe(between);
    expect(ids.map((id) => id.split('|')[0]).sort()).toEqual(published.map((r) => r.name).sort());

    const [list, ...more] = await h.updateLists();
    expect(more).toEqual([]);
    expect(list).toMatch(/^pypi_update_\d{14}\.txt$/);
    const names = (await readFile(join(h.setup.config.paths.updateListDir, list ?? ''), 'utf8')).trim().split('\n');
    expect(names.sort()).toEqual(published.map((r) => r.name).sort());

    const third = await h.poller.run();
    expect(third).toMatchObject({ queued: 0, found: 0 });
    expect(await h.pendingJobIds()).toHaveLength(between);
    expect(await h.updateLists()).toHaveLength(1);
  });

  test('a release seen in an earlier poll is not queued again; a new version of it is', async () => {
    const h = await harness(type, { submit: { coalesce: false } });
    await h.poller.run();
    h.pypi.publish([{ name: 'Flask', version: '3.0.0' }]);
    expect((await h.poller.run()).queued).toBe(1);
    // PyPI never repeats an event, but a replayed cursor or a re-upload does: dedupe is by name and version.
    h.pypi.publish([
      { name: 'flask', version: '3.0.0' },
      { name: 'flask', version: '3.0.1' },
    ]);
    const result = await h.poller.run();
    expect(result).toMatchObject({ found: 2, duplicate: 1, queued: 1 });
    expect((await h.pendingJobIds()).sort()).toEqual([
      'flask|3.0.0|os_arch=aarch64,testbox=vm-2p8g',
      'flask|3.0.1|os_arch=aarch64,testbox=vm-2p8g',
    ]);
  });

  test('invalid names and versions are skipped and logged with the raw value; the rest goes on', async () => {
    const h = await harness(type);
    await h.poller.run();
    h.pypi.publish([
      { name: 'good-one', version: '1.0' },
      { name: 'bad;rm -rf /', version: '1.0' },
      { name: '../etc', version: '1.0' },
      { name: 'fine', version: '1.0!!' },
      { name: 'good-two', version: '2.0.post1' },
    ]);
    const result = await h.poller.run();
    // A title with a space in the name is not `NAME VERSION`: the RSS parser sets it aside as unreadable.
    expect(result).toMatchObject({ found: type === 'rss' ? 4 : 5, invalid: 3, queued: 2 });
    const warnings = h.logs.lines.filter((l) => String(l.msg).startsWith('skipped invalid'));
    const unreadable = h.logs.lines.filter((l) => String(l.msg).startsWith('skipped unreadable'));
    expect(warnings.map((w) => (w.entry as { name: string }).name)).toEqual(
      expect.arrayContaining(type === 'rss' ? ['../etc', 'fine'] : ['bad;rm -rf /', '../etc', 'fine']),
    );
    if (type === 'rss') expect(JSON.stringify(unreadable.map((w) => w.entry))).toContain('bad;rm -rf /');
  });

  test('pre-releases, deny and allow filters drop what they should', async () => {
    const h = await harness(type, { filters: { deny: ['^types-'], allow: ['^(keep|types)-'] } });
    await h.poller.run();
    h.pypi.publish([
      { name: 'keep-me', version: '1.0' },
      { name: 'keep-rc', version: '1.0rc1' },
      { name: 'keep-dev', version: '2.0.dev3' },
      { name: 'types-requests', version: '1.0' },
      { name: 'other', version: '1.0' },
    ]);
    const result = await h.poller.run();
    expect(result).toMatchObject({ found: 5, filtered: 4, queued: 1 });
    expect((await h.pendingJobIds()).map((id) => id.split('|')[0])).toEqual(['keep-me']);
  });

  test('a PyPI failure fails the poll and leaves the cursor where it was; the next poll resumes', async () => {
    const h = await harness(type);
    await h.poller.run();
    const before = await h.poller.state.readCursor(type);
    h.pypi.publishGenerated(20);
    h.pypi.failNext('truncated', 1);
    await expect(h.poller.run()).rejects.toThrow();
    expect(await h.poller.state.readCursor(type)).toEqual(before);
    expect(await h.pendingJobIds()).toEqual([]);
    expect((await h.poller.run()).queued).toBe(20);
  });
});

describe('poll specifics', () => {
  test('an RSS poll whose last-seen release fell off the 100-item window makes one request and reports the gap', async () => {
    const h = await harness('rss');
    h.pypi.publishGenerated(1);
    await h.poller.run();
    h.pypi.publishGenerated(150, { sameSecond: 3 });
    const feedRequests = () => h.pypi.requests.filter((r) => r.path.startsWith('/rss/')).length;
    const before = feedRequests();
    const result = await h.poller.run();
    expect(feedRequests() - before).toBe(1);
    expect(h.pypi.requests.some((r) => r.path.includes('before='))).toBe(false);
    // What the feed still holds is queued; the 50 that fell off are gone, and the poll says so.
    expect(result).toMatchObject({ gap: true, queued: 100, pages: 1 });
    expect(h.logs.lines.some((l) => l.level === 40 && String(l.msg).includes('source.type: changelog'))).toBe(true);
    const metrics = await new MetricsStore({ redis: h.runtime.redis, keys: redisKeys(h.setup.prefix) }).snapshot();
    expect(metrics.feedGaps).toBe(1);
  });

  test('a changelog fault is an error and the cursor stays', async () => {
    const h = await harness('changelog');
    await h.poller.run();
    h.pypi.publishGenerated(3);
    h.pypi.failNext('fault', 1);
    await expect(h.poller.run()).rejects.toThrow(/fault/i);
    expect((await h.poller.run()).queued).toBe(3);
  });

  test('a withdrawn release whose submit has not run loses its job; a project removal takes all its versions', async () => {
    const h = await harness('changelog');
    await h.poller.run();
    h.pypi.publish([
      { name: 'oops', version: '1.0' },
      { name: 'keepme', version: '1.0' },
      { name: 'malware', version: '0.1' },
      { name: 'malware', version: '0.2' },
    ]);
    // Latest wins: malware 0.1 and 0.2 are one farm build of "the newest malware".
    expect(await h.poller.run()).toMatchObject({ queued: 3, superseded: 1 });
    h.pypi.publish([
      { name: 'oops', version: '1.0', action: 'yank release' },
      { name: 'malware', version: '', action: 'remove project' },
      { name: 'born-and-gone', version: '1.0' },
      { name: 'born-and-gone', version: '1.0', action: 'remove release' },
    ]);
    const result = await h.poller.run();
    expect(result).toMatchObject({ withdrawn: 3, withdrawnJobsRemoved: 2, queued: 0 });
    expect((await h.pendingJobIds()).map((id) => id.split('|')[0])).toEqual(['keepme']);
    expect(h.logs.lines.filter((l) => l.msg === 'removed submit job of a withdrawn release')).toHaveLength(2);
  });

  test('--since backfills from a changelog serial; dedupe keeps it from queueing twice', async () => {
    const h = await harness('changelog');
    await h.poller.run();
    const start = h.pypi.lastSerial;
    h.pypi.publishGenerated(10);
    expect((await h.poller.run()).queued).toBe(10);
    const backfill = await h.poller.run({ since: start - 0 });
    expect(backfill).toMatchObject({ found: 10, duplicate: 10, queued: 0 });
  });

  test('the last poll result and lag are stored for `status`', async () => {
    const h = await harness('changelog');
    await h.poller.run();
    h.pypi.publishGenerated(4);
    const result = await h.poller.run();
    expect(await h.poller.state.readLastPoll()).toEqual(result);
    expect(result.lag).toBe(0);
  });
});
