import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createReleaseSource, type RssSourceConfig } from '../src/sources/create-source.js';
import type { ReleaseEvent } from '../src/sources/release-source.js';
import { parseRfc822 } from '../src/sources/rss-feed.js';
import { rssCursorSchema, type RssSource } from '../src/sources/rss-source.js';
import { FeedFormatError, ResponseTooLargeError } from '../src/errors.js';
import { FakePypi, type FakeRelease } from '@pypi-watch/test-utils';

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

function titles(items: readonly (ReleaseEvent | FakeRelease)[]): string[] {
  return items.map((item) => `${item.name} ${item.version}`);
}

/** Newer than the fake's history (it starts two days back), and not in the future. */
function anHourAgo(): number {
  return Math.floor(Date.now() / 1000) - 3600;
}

function feedRequests(): string[] {
  return fake.requests.map((request) => request.path);
}

describe('RssSource', () => {
  test('a first run only sets the cursor: the newest second, its titles and the window seen', async () => {
    const burst = fake.publishGenerated(3, { sameSecond: 3 });
    fake.requests.length = 0;
    const result = await source().fetchSince(undefined);
    const window = fake.requests.length;
    expect(result).toMatchObject({ events: [], pages: 1, headCursorLag: 0, capped: false, gap: false, rejected: [] });
    expect(result.cursor.time).toBe(burst[0]!.timestamp);
    expect(result.cursor.namesAtTime).toEqual(titles(burst).reverse());
    expect(result.cursor.seen).toHaveLength(23);
    expect(result.cursor.seen?.[0]).toEqual([titles(burst).at(-1), burst[0]!.timestamp]);
    expect(window).toBe(1);
    expect(rssCursorSchema.parse(JSON.parse(JSON.stringify(result.cursor)))).toEqual(result.cursor);
  });

  test.each([1, 7, 60, 99])('99 releases at %i per second come back exactly once, oldest first, from one request', async (sameSecond) => {
    const { cursor } = await source().fetchSince(undefined);
    const published = fake.publishGenerated(99, { sameSecond });
    fake.requests.length = 0;
    const result = await source().fetchSince(cursor);
    expect(keys(result.events)).toEqual(keys(published));
    expect(result.events[0]).toEqual({
      name: published[0]!.name,
      version: published[0]!.version,
      timestamp: published[0]!.timestamp,
      action: 'new',
    });
    expect(result).toMatchObject({ pages: 1, capped: false, gap: false, headCursorLag: 0 });
    expect(result.cursor.time).toBe(published.at(-1)!.timestamp);
    expect(feedRequests()).toEqual(['/rss/updates.xml']); // no `before=`: PyPI has none
    const again = await source().fetchSince(result.cursor);
    expect(again.events).toEqual([]);
    expect(again.gap).toBe(false);
  });

  test('late releases in the cursor second are returned, known ones are not', async () => {
    const t = anHourAgo();
    fake.publish(['a', 'b', 'c'].map((name) => ({ name, version: '1.0', timestamp: t })));
    const { cursor } = await source().fetchSince(undefined);
    expect(cursor).toMatchObject({ time: t, namesAtTime: ['c 1.0', 'b 1.0', 'a 1.0'] });
    fake.publish([
      { name: 'late-1', version: '1.0', timestamp: t },
      { name: 'late-2', version: '1.0', timestamp: t },
    ]);
    const newer = fake.publishGenerated(90, { startTime: t + 1 });
    const result = await source().fetchSince(cursor);
    expect(keys(result.events)).toEqual(['late-1==1.0', 'late-2==1.0', ...keys(newer)]);
    expect(result.gap).toBe(false);
  });

  test('a stored cursor of the old shape ({ time, namesAtTime }) still works', async () => {
    const t = anHourAgo();
    fake.publish(['a', 'b'].map((name) => ({ name, version: '2.0', timestamp: t })));
    fake.publish([{ name: 'next', version: '1.0', timestamp: t }]);
    const result = await source().fetchSince({ time: t, namesAtTime: ['b 2.0', 'a 2.0'] });
    expect(keys(result.events)).toEqual(['next==1.0']);
    expect(result.cursor).toMatchObject({ time: t, namesAtTime: ['b 2.0', 'a 2.0', 'next 1.0'] });
    expect(result.gap).toBe(false);
    expect(rssCursorSchema.parse({ time: t, namesAtTime: ['b 2.0'] })).toEqual({ time: t, namesAtTime: ['b 2.0'] });
  });

  test('when the last-seen releases fell off the 100-item window: one request, the window queued, a gap reported', async () => {
    const { cursor } = await source().fetchSince(undefined);
    const published = fake.publishGenerated(150, { sameSecond: 3 });
    fake.requests.length = 0;
    const result = await source().fetchSince(cursor);
    expect(feedRequests()).toEqual(['/rss/updates.xml']);
    expect(result).toMatchObject({ pages: 1, gap: true, capped: false });
    expect(keys(result.events)).toEqual(keys(published.slice(-100)));
    const warning = logs.find((line) => String(line['msg']).startsWith('RSS gap'));
    expect(warning).toMatchObject({ level: 40, cursorTime: cursor.time });
    expect(String(warning?.['msg'])).toContain('source.type: changelog');
    // The next fetch overlaps again: no gap, nothing twice.
    const next = fake.publishGenerated(5);
    const after = await source().fetchSince(result.cursor);
    expect(after.gap).toBe(false);
    expect(keys(after.events)).toEqual(keys(next));
  });

  test('the gap is found with an old-shape cursor too, and 250 releases in one second are just a bigger gap', async () => {
    const t = anHourAgo();
    fake.publish([{ name: 'seen', version: '1.0', timestamp: t }]);
    const burst = fake.publishGenerated(250, { sameSecond: 250, startTime: t + 10 });
    const result = await source().fetchSince({ time: t, namesAtTime: ['seen 1.0'] });
    expect(result.gap).toBe(true);
    expect(keys(result.events)).toEqual(keys(burst.slice(-100)));
    expect(fake.requests.filter((request) => request.path.startsWith('/rss/'))).toHaveLength(1);
  });

  test('a pubDate in the future is clamped to now: the cursor stays at or before now and later releases are still found', async () => {
    const { cursor } = await source().fetchSince(undefined);
    const future = Math.floor(Date.UTC(2100, 0, 1) / 1000);
    fake.publish([{ name: 'time-traveller', version: '1.0', timestamp: future }]);
    const before = Math.floor(Date.now() / 1000);
    const first = await source().fetchSince(cursor);
    const after = Math.floor(Date.now() / 1000);
    expect(keys(first.events)).toEqual(['time-traveller==1.0']);
    expect(first.events[0]!.timestamp).toBeGreaterThanOrEqual(before);
    expect(first.events[0]!.timestamp).toBeLessThanOrEqual(after);
    expect(first.cursor.time).toBeLessThanOrEqual(after);
    expect(logs).toContainEqual(expect.objectContaining({ level: 40, count: 1, msg: expect.stringContaining('in the future') }));

    // The fake's clock now sits in 2100, so date the next release explicitly, just before now.
    fake.publish([{ name: 'ordinary', version: '2.0', timestamp: after - 1 }]);
    const second = await source().fetchSince(first.cursor);
    expect(keys(second.events)).toEqual(['ordinary==2.0']); // found, and the future item not repeated
    expect(second.gap).toBe(false);
  });

  test('a stored cursor in the future (written before clamping) reads the window again instead of going silent', async () => {
    const published = fake.publishGenerated(3);
    const result = await source().fetchSince({ time: 4_000_000_000, namesAtTime: ['x 1.0'] });
    expect(keys(result.events).slice(-3)).toEqual(keys(published));
    expect(result.cursor.time).toBe(published.at(-1)!.timestamp);
    expect(logs).toContainEqual(expect.objectContaining({ level: 40, cursorTime: 4_000_000_000 }));
  });

  test('an empty feed just establishes a cursor; everything after it is new', async () => {
    const empty = new FakePypi();
    const emptyUrl = await empty.start();
    try {
      const from = createReleaseSource({ type: 'rss', baseUrl: emptyUrl, maxRetryWaitMs: 1 });
      const first = await from.fetchSince(undefined);
      expect(first).toMatchObject({ events: [], cursor: { time: 0, namesAtTime: [] }, gap: false });
      expect((await from.fetchSince(first.cursor)).events).toEqual([]);
      empty.publish([{ name: 'first', version: '0.1' }]);
      expect(keys((await from.fetchSince(first.cursor)).events)).toEqual(['first==0.1']);
    } finally {
      await empty.stop();
    }
  });

  test('broken items land in `rejected`; the rest come through with raw names', async () => {
    const { cursor } = await source().fetchSince(undefined);
    fake.publish([{ name: 'good-one', version: '1.0' }]);
    fake.publishMalformed({ rssItem: '<item><title>nospace</title><pubDate>Thu, 09 Apr 2026 21:37:00 GMT</pubDate></item>' });
    fake.publishMalformed({ rssItem: '<item><title>when 1.0</title><pubDate>yesterday</pubDate></item>' });
    fake.publishMalformed({ rssItem: '<item><title>feb 1.0</title><pubDate>Tue, 31 Feb 2026 21:37:00 GMT</pubDate></item>' });
    fake.publishMalformed({ rssItem: '<item><link>https://pypi.org/project/x/</link></item>' });
    fake.publishMalformed({ rssItem: '<item><title>three words here</title><pubDate>Thu, 09 Apr 2026 21:37:00 GMT</pubDate></item>' });
    fake.publishMalformed({ rssItem: '<item><title>anndict added to PyPI</title><pubDate>Thu, 09 Apr 2026 21:37:00 GMT</pubDate></item>' });
    fake.publish([
      { name: 'Bad_Name!', version: 'not-pep-440' },
      { name: 'good-two', version: '2.0' },
    ]);
    const result = await source().fetchSince(cursor);
    expect(keys(result.events)).toEqual(['good-one==1.0', 'Bad_Name!==not-pep-440', 'good-two==2.0']);
    expect(result.rejected.map((entry) => entry.reason)).toEqual([
      expect.stringContaining('newest-projects feed (rss/packages.xml)'),
      'title is not "NAME VERSION"',
      'item has no text <title>',
      expect.stringContaining('pubDate is not an RFC 822 date'),
      expect.stringContaining('pubDate is not an RFC 822 date'),
      'title is not "NAME VERSION"',
    ]);
    expect(result.rejected[5]!.raw).toBe('{"title":"nospace","pubDate":"Thu, 09 Apr 2026 21:37:00 GMT"}');
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
    const error = await source()
      .fetchSince(cursor)
      .catch((caught: unknown) => caught);
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

describe('RssSource against a hostile feed', () => {
  test(
    'a feed of 150,000 items (far past the 100 PyPI serves) is read without blowing the stack, and the cursor stays ' + 'bounded',
    async () => {
      const item = (index: number): string => `<item><title>p${index} 1.0</title><pubDate>Thu, 09 Apr 2026 21:37:00 GMT</pubDate></item>`;
      const items = Array.from({ length: 150_000 }, (_, index) => item(index)).join('');
      const body = `<?xml version="1.0"?><rss version="2.0"><channel>${items}</channel></rss>`;
      const server = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/xml' }).end(body));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const from = createReleaseSource({ type: 'rss', baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
        const result = await from.fetchSince({ time: 0, namesAtTime: [] });
        expect(result.events).toHaveLength(150_000);
        expect(result.cursor.seen!.length).toBeLessThanOrEqual(500);
        expect(JSON.stringify(result.cursor).length).toBeLessThan(64 * 1024);
      } finally {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
  );
});
