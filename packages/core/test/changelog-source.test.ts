import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { ChangelogCursor, ChangelogSource } from '../src/sources/changelog-source.js';
import { changelogCursorSchema } from '../src/sources/changelog-source.js';
import { createReleaseSource, type ChangelogSourceConfig } from '../src/sources/create-source.js';
import type { ReleaseEvent } from '../src/sources/release-source.js';
import { FeedFormatError, ResponseTooLargeError, XmlRpcFaultError } from '../src/sources/source-errors.js';
import { FakePypi } from './support/fake-pypi.js';

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

/** Fetches until nothing is capped, as successive polls would. */
async function drain(from: ChangelogSource, cursor: ChangelogCursor): Promise<{ events: ReleaseEvent[]; cursor: ChangelogCursor; fetches: number }> {
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
    expect(result).toEqual({ events: [], cursor: { serial: fake.lastSerial }, pages: 0, headCursorLag: 0, capped: false, rejected: [] });
    expect(fake.requests.map((request) => request.body)).toEqual([expect.stringContaining('changelog_last_serial')]);
    // The cursor is a plain object that survives JSON and the stored-cursor schema.
    expect(changelogCursorSchema.parse(JSON.parse(JSON.stringify(result.cursor)))).toEqual(result.cursor);
  });

  test('returns every release between two fetches exactly once, in serial order', async () => {
    const first = await source().fetchSince(undefined);
    const published = fake.publishGenerated(1000, { sameSecond: 37 });
    const result = await source().fetchSince(first.cursor);
    expect(keys(result.events)).toEqual(published.map((release) => `${release.name}==${release.version}`));
    expect(result.events[0]).toEqual({ ...published[0], action: 'new', serial: first.cursor.serial + 1 });
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
    expect(keys(result.events)).toEqual(published.map((release) => `${release.name}==${release.version}`));
    expect(result.pages).toBe(3);
    expect(result.capped).toBe(false);
  });

  test('stops at the page cap with the lag, and the next fetch carries on without gaps or repeats', async () => {
    fake.setChangelogPageSize(100);
    const from = source({ maxPages: 3 });
    const { cursor } = await from.fetchSince(undefined);
    const published = fake.publishGenerated(1000);
    const capped = await from.fetchSince(cursor);
    expect(capped).toMatchObject({ pages: 3, capped: true, headCursorLag: 700 });
    expect(capped.events).toHaveLength(300);
    const rest = await drain(from, capped.cursor);
    expect(keys([...capped.events, ...rest.events])).toEqual(published.map((release) => `${release.name}==${release.version}`));
    expect(rest.cursor.serial).toBe(fake.lastSerial);
  });

  test('reports withdrawals and skips other actions while still advancing the serial', async () => {
    const { cursor } = await source().fetchSince(undefined);
    fake.publish([
      { name: 'alpha', version: '1.0', action: 'new release', timestamp: 1_775_100_000 },
      { name: 'alpha', version: '1.0', action: 'add source file alpha-1.0.tar.gz' },
      { name: 'beta', version: '2.0', action: 'remove release' },
      { name: 'gamma', version: '', action: 'remove project' },
      { name: 'delta', version: '0.3', action: 'yank release' },
      { name: 'delta', version: '', action: 'create' },
    ]);
    const result = await source().fetchSince(cursor);
    expect(result.events).toEqual([
      { name: 'alpha', version: '1.0', timestamp: 1_775_100_000, action: 'new', serial: cursor.serial + 1 },
      { name: 'beta', version: '2.0', timestamp: 1_775_100_002, action: 'withdrawn', serial: cursor.serial + 3 },
      { name: 'gamma', version: '', timestamp: 1_775_100_003, action: 'withdrawn', serial: cursor.serial + 4 },
      { name: 'delta', version: '0.3', timestamp: 1_775_100_004, action: 'withdrawn', serial: cursor.serial + 5 },
    ]);
    expect(result.cursor.serial).toBe(cursor.serial + 6);
  });

  test('broken entries land in `rejected`; raw names pass through for the caller to validate', async () => {
    const { cursor } = await source().fetchSince(undefined);
    fake.publish([{ name: 'good-one', version: '1.0' }]);
    const next = fake.lastSerial + 1;
    fake.publishMalformed({ changelog: [42, '1.0', 1_775_200_000, 'new release', next] });
    fake.publishMalformed({ changelog: 'not an entry' });
    fake.publishMalformed({ changelog: ['short', '1.0'] });
    fake.publishMalformed({ changelog: ['when', '1.0', 'yesterday', 'new release', next + 3] });
    fake.publish([{ name: 'Bad Name!', version: 'not-pep-440' }, { name: 'good-two', version: '2.0' }]);
    const result = await source().fetchSince(cursor);
    expect(keys(result.events)).toEqual(['good-one==1.0', 'Bad Name!==not-pep-440', 'good-two==2.0']);
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
    expect(result.events).toHaveLength(3);
  });

  test('HTTP 429 and 500 answers are retried', async () => {
    const { cursor } = await source().fetchSince(undefined);
    fake.publishGenerated(3);
    fake.failNext('429');
    fake.failNext('500');
    fake.requests.length = 0;
    const result = await source().fetchSince(cursor);
    expect(result.events).toHaveLength(3);
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
    expect(keys(result.events)).toEqual(['good==1.0']);
    expect(result).toMatchObject({ cursor: { serial: fake.lastSerial - 1 }, headCursorLag: 1, pages: 2, capped: false });
    expect(result.rejected.map((entry) => entry.raw)).toEqual(['"junk"', '"junk"']);
  });

  test('nothing new costs one call and no page', async () => {
    const { cursor } = await source().fetchSince(undefined);
    fake.requests.length = 0;
    expect(await source().fetchSince(cursor)).toMatchObject({ events: [], cursor, pages: 0, headCursorLag: 0 });
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
});
