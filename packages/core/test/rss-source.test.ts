import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createReleaseSource, type RssSourceConfig } from '../src/sources/create-source.js';
import type { ReleaseEvent } from '../src/sources/release-source.js';
import { parseRfc822 } from '../src/sources/rss-feed.js';
import { rssCursorSchema, type RssSource } from '../src/sources/rss-source.js';
import { FeedFormatError, ResponseTooLargeError } from '../src/sources/source-errors.js';
import { FakePypi, type FakeRelease } from './support/fake-pypi.js';

let fake: FakePypi;
let baseUrl: string;
let logs: Record<string, unknown>[];

beforeEach(async () => {
  fake = new FakePypi();
  baseUrl = await fake.start();
  logs = [];
  fake.publishGenerated(20, { prefix: 'old' }); // history a first run must not replay
});

afterEach(async () => {
  await fake.stop();
});

function source(options: Partial<Omit<RssSourceConfig, 'type'>> = {}): RssSource {
  const logger = pino({}, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  return createReleaseSource({ type: 'rss', baseUrl, maxRetryWaitMs: 1, logger, ...options });
}

function keys(items: readonly (ReleaseEvent | FakeRelease)[]): string[] {
  return items.map((item) => `${item.name}==${item.version}`);
}

function beforeParams(): (string | null)[] {
  return fake.requests.map((request) => new URL(request.path, baseUrl).searchParams.get('before'));
}

describe('RssSource', () => {
  test('a first run only sets the cursor: the newest second and its titles', async () => {
    const burst = fake.publishGenerated(3, { sameSecond: 3 });
    const result = await source().fetchSince(undefined);
    expect(result).toEqual({
      events: [],
      cursor: { time: burst[0]!.timestamp, namesAtTime: burst.map((release) => `${release.name} ${release.version}`).reverse() },
      pages: 1,
      headCursorLag: 0,
      capped: false,
      rejected: [],
    });
    expect(rssCursorSchema.parse(JSON.parse(JSON.stringify(result.cursor)))).toEqual(result.cursor);
  });

  test.each([1, 7, 60, 99])('1,000 releases at %i per second come back exactly once, oldest first', async (sameSecond) => {
    const { cursor } = await source().fetchSince(undefined);
    const published = fake.publishGenerated(1000, { sameSecond });
    fake.requests.length = 0;
    const result = await source().fetchSince(cursor);
    expect(keys(result.events)).toEqual(keys(published));
    expect(result.events[0]).toEqual({ name: published[0]!.name, version: published[0]!.version, timestamp: published[0]!.timestamp, action: 'new' });
    expect(result.capped).toBe(false);
    expect(result.pages).toBeGreaterThanOrEqual(10);
    expect(result.cursor.time).toBe(published.at(-1)!.timestamp);
    // Pages walk strictly backwards, each re-asking for its predecessor's oldest second.
    const [first, ...rest] = beforeParams();
    expect(first).toBeNull();
    expect(rest.map(Number)).toEqual(rest.map(Number).sort((a, b) => b - a));
    expect(new Set(rest).size).toBe(rest.length);
    expect(rest).toHaveLength(result.pages - 1);
    const again = await source().fetchSince(result.cursor);
    expect(again.events).toEqual([]);
  });

  test('late releases in the cursor second are returned, known ones are not, across a page boundary', async () => {
    const t = 1_775_500_000;
    fake.publish(['a', 'b', 'c'].map((name) => ({ name, version: '1.0', timestamp: t })));
    const { cursor } = await source().fetchSince(undefined);
    expect(cursor).toEqual({ time: t, namesAtTime: ['c 1.0', 'b 1.0', 'a 1.0'] });
    fake.publish([
      { name: 'late-1', version: '1.0', timestamp: t },
      { name: 'late-2', version: '1.0', timestamp: t },
    ]);
    const newer = fake.publishGenerated(99, { startTime: t + 1 });
    const result = await source().fetchSince(cursor);
    expect(keys(result.events)).toEqual(['late-1==1.0', 'late-2==1.0', ...keys(newer)]);
    expect(result.pages).toBe(2);
  });

  test('a cursor second whose releases were all seen ends the walk', async () => {
    const t = 1_775_600_000;
    fake.publish(['a', 'b'].map((name) => ({ name, version: '2.0', timestamp: t })));
    const { cursor } = await source().fetchSince(undefined);
    fake.publish([{ name: 'next', version: '1.0', timestamp: t }]);
    const result = await source().fetchSince(cursor);
    expect(keys(result.events)).toEqual(['next==1.0']);
    expect(result.cursor).toEqual({ time: t, namesAtTime: ['b 2.0', 'a 2.0', 'next 1.0'] });
  });

  test('250 releases in one second overflow the 100-item page: the feed cannot show the rest, so it says so', async () => {
    const { cursor } = await source().fetchSince(undefined);
    const before = fake.publishGenerated(5, { startTime: 1_775_700_000 });
    const burst = fake.publishGenerated(250, { sameSecond: 250, startTime: 1_775_700_010 });
    const after = fake.publishGenerated(5, { startTime: 1_775_700_020 });
    fake.requests.length = 0;
    const result = await source().fetchSince(cursor);
    const returned = keys(result.events);
    expect(new Set(returned).size).toBe(returned.length); // nothing twice
    expect(returned.slice(0, 5)).toEqual(keys(before));
    expect(returned.slice(-5)).toEqual(keys(after));
    expect(returned).toHaveLength(110); // the newest 100 of the burst; 150 are out of the feed's reach
    expect(keys(burst).slice(-100)).toEqual(returned.slice(5, 105));
    expect(result.capped).toBe(true);
    expect(logs).toContainEqual(expect.objectContaining({ level: 40, second: 1_775_700_010 }));
    expect(beforeParams()).toEqual([null, '1775700011', '1775700010']); // no loop on the full second
  });

  test('stops at the page cap with a warning', async () => {
    const { cursor } = await source().fetchSince(undefined);
    const published = fake.publishGenerated(1000);
    const result = await source({ maxPages: 2 }).fetchSince(cursor);
    expect(result).toMatchObject({ pages: 2, capped: true });
    expect(keys(result.events)).toEqual(keys(published.slice(-199)));
    expect(result.cursor.time).toBe(published.at(-1)!.timestamp);
    expect(logs).toContainEqual(expect.objectContaining({ level: 40, msg: expect.stringContaining('RSS page cap reached') }));
  });

  test('broken items land in `rejected`; the rest come through with raw names', async () => {
    const { cursor } = await source().fetchSince(undefined);
    fake.publish([{ name: 'good-one', version: '1.0' }]);
    fake.publishMalformed({ rssItem: '<item><title>nospace</title><pubDate>Thu, 09 Apr 2026 21:37:00 GMT</pubDate></item>' });
    fake.publishMalformed({ rssItem: '<item><title>when 1.0</title><pubDate>yesterday</pubDate></item>' });
    fake.publishMalformed({ rssItem: '<item><title>feb 1.0</title><pubDate>Tue, 31 Feb 2026 21:37:00 GMT</pubDate></item>' });
    fake.publishMalformed({ rssItem: '<item><link>https://pypi.org/project/x/</link></item>' });
    fake.publish([{ name: 'Bad_Name!', version: 'not-pep-440' }, { name: 'good-two', version: '2.0' }]);
    const result = await source().fetchSince(cursor);
    expect(keys(result.events)).toEqual(['good-one==1.0', 'Bad_Name!==not-pep-440', 'good-two==2.0']);
    expect(result.rejected.map((entry) => entry.reason)).toEqual([
      'item has no text <title>',
      expect.stringContaining('pubDate is not an RFC 822 date'),
      expect.stringContaining('pubDate is not an RFC 822 date'),
      'title is not "NAME VERSION"',
    ]);
    expect(result.rejected[3]!.raw).toBe('{"title":"nospace","pubDate":"Thu, 09 Apr 2026 21:37:00 GMT"}');
  });

  test('HTTP failures are retried; truncated and oversized feeds fail clearly', async () => {
    const { cursor } = await source().fetchSince(undefined);
    fake.publishGenerated(10);
    fake.failNext('429');
    fake.failNext('500');
    fake.requests.length = 0;
    expect((await source().fetchSince(cursor)).events).toHaveLength(10);
    expect(fake.requests).toHaveLength(3);
    fake.failNext('truncated');
    const error = await source().fetchSince(cursor).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(FeedFormatError);
    expect((error as Error).message).toMatch(/RSS feed is not well-formed XML \(truncated\?\)/);
    fake.failNext('huge');
    await expect(source({ maxBodyBytes: 1024 * 1024 }).fetchSince(cursor)).rejects.toBeInstanceOf(ResponseTooLargeError);
  });
});

describe('parseRfc822', () => {
  test('reads PyPI pubDates and numeric zones; rejects anything else', () => {
    expect(parseRfc822('Thu, 09 Apr 2026 21:37:00 GMT')).toBe(Date.UTC(2026, 3, 9, 21, 37, 0) / 1000);
    expect(parseRfc822('Thu, 09 Apr 2026 23:37:00 +0200')).toBe(Date.UTC(2026, 3, 9, 21, 37, 0) / 1000);
    expect(parseRfc822('2026-04-09T21:37:00Z')).toBeUndefined();
    expect(parseRfc822('Thu, 09 Foo 2026 21:37:00 GMT')).toBeUndefined();
    expect(parseRfc822('Thu, 09 Apr 2026 25:37:00 GMT')).toBeUndefined();
  });
});
