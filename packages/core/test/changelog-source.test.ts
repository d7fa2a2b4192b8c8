import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { ChangelogCursor, ChangelogSource } from '../src/sources/changelog-source.js';
import { changelogCursorSchema } from '../src/sources/changelog-source.js';
import { createReleaseSource, type ChangelogSourceConfig } from '../src/sources/create-source.js';
import type { ReleaseEvent } from '../src/sources/release-source.js';
import { FeedFormatError, ResponseTooLargeError, XmlRpcFaultError } from '../src/errors.js';
import { FakePypi } from '@pypi-watch/test-utils';

let fake: FakePypi;
let baseUrl: string;

beforeEach(async () => {
  fake = new FakePypi();
  baseUrl = await fake.start();
  fake.publishGenerated(20); // history a first run must not replay
});

afterEach(async () => {
  await fake.stop();
});

function source(options: Partial<Omit<ChangelogSourceConfig, 'type'>> = {}): ChangelogSource {
  return createReleaseSource({ type: 'changelog', baseUrl, pauseMs: 0, maxRetryWaitMs: 1, maxRateLimitWaitMs: 1, ...options });
}

function keys(events: readonly ReleaseEvent[]): string[] {
  return events.map((event) => `${event.name}==${event.version}`);
}

/** The `new` events only: every upload also brings its file events. */
function releases(events: readonly ReleaseEvent[]): ReleaseEvent[] {
  return events.filter((event) => event.action === 'new');
}

function captureLogs(): { logger: pino.Logger; logs: Record<string, unknown>[] } {
  const logs: Record<string, unknown>[] = [];
  return { logger: pino({}, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) }), logs };
}

/** Fetches until nothing is capped, as successive polls would. */
async function drain(
  from: ChangelogSource,
  cursor: ChangelogCursor,
): Promise<{ events: ReleaseEvent[]; cursor: ChangelogCursor; fetches: number }> {
  const events: ReleaseEvent[] = [];
  let fetches = 0;
  for (let capped = true; capped; fetches++) {
    const result = await from.fetchSince(cursor);
    events.push(...result.events);
    cursor = result.cursor;
    capped = result.capped;
  }
  return { events, cursor, fetches };
}

describe('ChangelogSource', () => {
  test('a first run only sets the cursor to the last serial', async () => {
    const result = await source().fetchSince(undefined);
    expect(result).toEqual({
      events: [],
      cursor: { serial: fake.lastSerial },
      pages: 0,
      headCursorLag: 0,
      capped: false,
      gap: false,
      rejected: [],
    });
    expect(fake.requests.map((request) => request.body)).toEqual([expect.stringContaining('changelog_last_serial')]);
    // The cursor is a plain object that survives JSON and the stored-cursor schema.
    expect(changelogCursorSchema.parse(JSON.parse(JSON.stringify(result.cursor)))).toEqual(result.cursor);
  });

  test('returns every release between two fetches exactly once, in serial order', async () => {
    const first = await source().fetchSince(undefined);
    const published = fake.publishGenerated(1000, { sameSecond: 37 });
    const result = await source().fetchSince(first.cursor);
    expect(keys(releases(result.events))).toEqual(published.map((release) => `${release.name}==${release.version}`));
    // Each sdist-only upload is `new release`, then `add source file` at the same second.
    expect(result.events.slice(0, 2)).toEqual([
      { ...published[0], action: 'new', serial: first.cursor.serial + 1 },
      { ...published[0], action: 'sdist', serial: first.cursor.serial + 2 },
    ]);
    expect(result.events).toHaveLength(2000);
    expect(result.cursor).toEqual({ serial: fake.lastSerial });
    expect(result).toMatchObject({ pages: 1, headCursorLag: 0, capped: false, rejected: [] });
    const again = await source().fetchSince(result.cursor);
    expect(again.events).toEqual([]);
  });

  test('pages up to the head serial whatever the server page size, 250 same-second releases included', async () => {
    fake.setChangelogPageSize(100);
    const { cursor } = await source().fetchSince(undefined);
    const published = fake.publishGenerated(250, { sameSecond: 250 });
    const result = await source().fetchSince(cursor);
    expect(new Set(keys(result.events)).size).toBe(250);
    expect(keys(releases(result.events))).toEqual(published.map((release) => `${release.name}==${release.version}`));
    expect(result.pages).toBe(5); // 500 events, 100 a page
    expect(result.capped).toBe(false);
  });

  test('stops at the page cap with the lag, and the next fetch carries on without gaps or repeats', async () => {
    fake.setChangelogPageSize(100);
    const from = source({ maxPages: 3 });
    const { cursor } = await from.fetchSince(undefined);
    const published = fake.publishGenerated(1000);
    const capped = await from.fetchSince(cursor);
    expect(capped).toMatchObject({ pages: 3, capped: true, headCursorLag: 1700 });
    expect(capped.events).toHaveLength(300);
    const rest = await drain(from, capped.cursor);
    expect(keys(releases([...capped.events, ...rest.events]))).toEqual(published.map((release) => `${release.name}==${release.version}`));
    expect(rest.cursor.serial).toBe(fake.lastSerial);
  });

  test('maps every action PyPI writes, with <nil/> versions on project-level ones; the rest only move the serial', async () => {
    const { cursor } = await source().fetchSince(undefined);
    const t = Math.floor(Date.now() / 1000) - 3600; // after the fake's history, so later events are t+1, t+2, …
    fake.publish([{ name: 'alpha', version: '1.0', timestamp: t, files: ['bdist_wheel', 'sdist'] }]); // +1 +2 +3
    fake.addFile('alpha', '1.0', 'bdist_wheel'); // +4, a later wheel
    fake.publish([{ name: 'alpha', version: '1.0', action: 'add cp312 file alpha-1.0-cp312-cp312-manylinux_2_17_x86_64.whl' }]); // +5
    fake.publish([{ name: 'alpha', version: '1.0', action: 'add 3.7 file alpha-1.0-py3.7.egg' }]); // +6
    fake.yank('alpha', '1.0'); // +7
    fake.unyank('alpha', '1.0'); // +8
    fake.removeRelease('beta', '2.0'); // +9
    fake.quarantineRelease('gamma', '0.1'); // +10
    fake.clearReleaseQuarantine('gamma', '0.1'); // +11
    fake.removeProject('delta'); // +12
    fake.quarantineProject('eps'); // +13
    fake.clearProjectQuarantine('eps'); // +14
    fake.publish([
      { name: 'alpha', version: '1.0', action: 'remove file alpha-1.0.tar.gz' }, // +15
      { name: 'zeta', version: '', action: 'create' }, // +16
      { name: 'zeta', version: '', action: 'add Owner alice' }, // +17
      { name: 'zeta', version: '', action: 'invite Maintainer bob' }, // +18
      { name: 'zeta', version: '0.1', action: 'update classifiers' }, // +19
      { name: 'zeta', version: '0.1', action: 'docupdate' }, // +20
    ]);
    const s = cursor.serial;
    const result = await source().fetchSince(cursor);
    expect(result.events).toEqual([
      { name: 'alpha', version: '1.0', timestamp: t, action: 'new', serial: s + 1 },
      { name: 'alpha', version: '1.0', timestamp: t, action: 'file', serial: s + 2 },
      { name: 'alpha', version: '1.0', timestamp: t, action: 'sdist', serial: s + 3 },
      { name: 'alpha', version: '1.0', timestamp: t + 1, action: 'file', serial: s + 4 },
      { name: 'alpha', version: '1.0', timestamp: t + 2, action: 'file', serial: s + 5 },
      { name: 'alpha', version: '1.0', timestamp: t + 3, action: 'file', serial: s + 6 },
      { name: 'alpha', version: '1.0', timestamp: t + 4, action: 'withdrawn', reason: 'yanked', serial: s + 7 },
      { name: 'alpha', version: '1.0', timestamp: t + 5, action: 'restored', reason: 'yanked', serial: s + 8 },
      { name: 'beta', version: '2.0', timestamp: t + 6, action: 'withdrawn', reason: 'removed', serial: s + 9 },
      { name: 'gamma', version: '0.1', timestamp: t + 7, action: 'withdrawn', reason: 'quarantined', serial: s + 10 },
      { name: 'gamma', version: '0.1', timestamp: t + 8, action: 'restored', reason: 'quarantined', serial: s + 11 },
      { name: 'delta', version: '', timestamp: t + 9, action: 'withdrawn', reason: 'removed', serial: s + 12 },
      { name: 'eps', version: '', timestamp: t + 10, action: 'withdrawn', reason: 'quarantined', serial: s + 13 },
      { name: 'eps', version: '', timestamp: t + 11, action: 'restored', reason: 'quarantined', serial: s + 14 },
    ]);
    expect(result.cursor.serial).toBe(s + 20);
  });

  test('a release-level action without a version is rejected; a project-level one with a version still means the project', async () => {
    const { cursor } = await source().fetchSince(undefined);
    const next = fake.lastSerial + 1;
    fake.publishMalformed({ changelog: ['alpha', null, 1_775_100_000, 'yank release', next] });
    fake.publishMalformed({ changelog: ['beta', '9.9', 1_775_100_001, 'remove project', next + 1] });
    const result = await source().fetchSince(cursor);
    expect(result.rejected).toEqual([{ raw: `["alpha",null,1775100000,"yank release",${next}]`, reason: 'version is not a string' }]);
    expect(result.events).toEqual([
      { name: 'beta', version: '', timestamp: 1_775_100_001, action: 'withdrawn', reason: 'removed', serial: next + 1 },
    ]);
  });

  test('broken entries land in `rejected`; raw names pass through for the caller to validate', async () => {
    const { cursor } = await source().fetchSince(undefined);
    fake.publish([{ name: 'good-one', version: '1.0' }]);
    const next = fake.lastSerial + 1;
    fake.publishMalformed({ changelog: [42, '1.0', 1_775_200_000, 'new release', next] });
    fake.publishMalformed({ changelog: 'not an entry' });
    fake.publishMalformed({ changelog: ['short', '1.0'] });
    fake.publishMalformed({ changelog: ['when', '1.0', 'yesterday', 'new release', next + 3] });
    fake.publish([
      { name: 'Bad Name!', version: 'not-pep-440' },
      { name: 'good-two', version: '2.0' },
    ]);
    const result = await source().fetchSince(cursor);
    expect(keys(releases(result.events))).toEqual(['good-one==1.0', 'Bad Name!==not-pep-440', 'good-two==2.0']);
    expect(result.rejected).toEqual([
      { raw: `[42,"1.0",1775200000,"new release",${next}]`, reason: 'name is not a string' },
      { raw: '"not an entry"', reason: 'expected [name, version, timestamp, action, serial]' },
      { raw: '["short","1.0"]', reason: 'expected [name, version, timestamp, action, serial]' },
      { raw: `["when","1.0","yesterday","new release",${next + 3}]`, reason: 'timestamp is not an integer' },
    ]);
    expect(result.cursor.serial).toBe(fake.lastSerial);
  });

  test('a fault fails the fetch with XmlRpcFaultError; a rate-limit fault is waited out', async () => {
    const { cursor } = await source().fetchSince(undefined);
    fake.publishGenerated(3);
    fake.failNext('fault');
    await expect(source().fetchSince(cursor)).rejects.toBeInstanceOf(XmlRpcFaultError);
    fake.failNext('rate-fault');
    const result = await source().fetchSince(cursor);
    expect(releases(result.events)).toHaveLength(3);
  });

  test('HTTP 429 and 500 answers are retried', async () => {
    const { cursor } = await source().fetchSince(undefined);
    fake.publishGenerated(3);
    fake.failNext('429');
    fake.failNext('500');
    fake.requests.length = 0;
    const result = await source().fetchSince(cursor);
    expect(releases(result.events)).toHaveLength(3);
    expect(fake.requests.map((request) => /<methodName>(\w+)/.exec(request.body ?? '')?.[1])).toEqual([
      'changelog_last_serial',
      'changelog_last_serial',
      'changelog_last_serial',
      'changelog_since_serial',
    ]);
  });

  test('an unreadable entry at the head ends the fetch instead of looping', async () => {
    const { cursor } = await source().fetchSince(undefined);
    fake.publish([{ name: 'good', version: '1.0' }]);
    fake.publishMalformed({ changelog: 'junk' });
    const result = await source().fetchSince(cursor);
    expect(result.events.map((event) => event.action)).toEqual(['new', 'sdist']);
    expect(result).toMatchObject({ cursor: { serial: fake.lastSerial - 1 }, headCursorLag: 1, pages: 2, capped: false });
    expect(result.rejected.map((entry) => entry.raw)).toEqual(['"junk"', '"junk"']);
  });

  test('nothing new costs one call and no page', async () => {
    const { cursor } = await source().fetchSince(undefined);
    fake.requests.length = 0;
    expect(await source().fetchSince(cursor)).toMatchObject({ events: [], cursor, pages: 0, headCursorLag: 0, gap: false });
    expect(fake.requests).toHaveLength(1);
  });

  test('a truncated response is a clear FeedFormatError; an oversized one a ResponseTooLargeError', async () => {
    const { cursor } = await source().fetchSince(undefined);
    fake.publishGenerated(50);
    fake.failNext('truncated');
    await expect(source().fetchSince(cursor)).rejects.toThrow(FeedFormatError);
    fake.failNext('huge');
    await expect(source({ maxBodyBytes: 1024 * 1024 }).fetchSince(cursor)).rejects.toBeInstanceOf(ResponseTooLargeError);
  });

  test('an entry with a serial far above the head never moves the cursor past it; the next release is still found', async () => {
    const { logger, logs } = captureLogs();
    const from = source({ logger });
    const { cursor } = await from.fetchSince(undefined);
    fake.publish([{ name: 'before', version: '1.0' }]);
    fake.publishMalformed({ changelog: ['bogus', '1.0', 1_775_300_000, 'new release', 10 ** 12] });
    const first = await from.fetchSince(cursor);
    expect(keys(releases(first.events))).toEqual(['before==1.0']);
    expect(first.cursor.serial).toBeLessThanOrEqual(fake.lastSerial);
    expect(first.cursor.serial).toBe(cursor.serial + 2);
    // One warning for the fetch, with the count; the page of only that entry ended the loop.
    const warnings = logs.filter((line) => String(line['msg']).includes('above the head serial'));
    expect(warnings).toEqual([expect.objectContaining({ level: 40, count: 2 })]);
    expect(first.pages).toBe(2);

    fake.publish([{ name: 'after', version: '2.0' }]);
    const second = await from.fetchSince(first.cursor);
    expect(keys(releases(second.events))).toEqual(['after==2.0']);
    expect(second.cursor.serial).toBe(fake.lastSerial);
    expect(second.headCursorLag).toBe(0);
  });

  test('a stored cursor above the head (poisoned by an old bogus entry) restarts from the head', async () => {
    const { logger, logs } = captureLogs();
    const result = await source({ logger }).fetchSince({ serial: 10 ** 12 });
    expect(result).toMatchObject({ events: [], cursor: { serial: fake.lastSerial }, headCursorLag: 0 });
    expect(logs).toContainEqual(expect.objectContaining({ level: 40, cursor: 10 ** 12, head: fake.lastSerial }));
    fake.publish([{ name: 'found', version: '1.0' }]);
    expect(keys(releases((await source().fetchSince(result.cursor)).events))).toEqual(['found==1.0']);
  });
});
