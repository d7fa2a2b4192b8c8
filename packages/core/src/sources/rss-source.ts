// Release source over PyPI's latest-updates RSS feed: one request a fetch, and a lossy window it says
// so about. The feed holds the newest 100 releases and takes no parameters (no `before=`, no paging),
// so releases that fell off between two fetches cannot be recovered: the fetch reports a gap instead.

import type { Got } from 'got';
import type { Logger } from 'pino';
import { z } from '#zod';
import { requestText } from './http-client.js';
import type { FetchResult, ReleaseEvent, ReleaseSource } from './release-source.js';
import { parseRssPage, type RssItem } from './rss-feed.js';

export interface RssCursor {
  /** pubDate of the newest item seen (unix seconds), never later than the clock at that fetch. */
  readonly time: number;
  /** Titles (`NAME VERSION`) seen at exactly `time`: many releases share a second, and more may land in it later. */
  readonly namesAtTime: readonly string[];
  /**
   * `[title, time]` of every item of the last feed read (and of a fresher one, if that feed was a stale
   * CDN copy), newest first. Absent in cursors written before it existed: then only `time` and
   * `namesAtTime` say what was seen.
   */
  readonly seen?: readonly (readonly [string, number])[];
}

/** For reading a stored cursor back; the older `{ time, namesAtTime }` shape is accepted too. */
export const rssCursorSchema = z.strictObject({
  time: z.number().int().nonnegative(),
  namesAtTime: z.array(z.string()),
  seen: z.array(z.tuple([z.string(), z.number().int()])).optional(),
});

export interface RssSourceOptions {
  /** HTTP client (from createHttpClient) whose base URL is PyPI's. */
  readonly http: Got;
  /** Feed path relative to the base URL. @defaultValue `rss/updates.xml` */
  readonly path?: string;
  /** How far in the future a pubDate may be before it counts as bogus and is warned about. @defaultValue 300 (s) */
  readonly maxClockSkewSeconds?: number;
  /** The clock, in ms. @defaultValue Date.now */
  readonly now?: () => number;
  /** Where gaps, future dates and poisoned cursors are reported (warn level). @defaultValue no logging */
  readonly logger?: Logger;
}

/** Bounds what the cursor keeps, so a hostile feed cannot bloat the cursor stored in Redis. */
const MAX_SEEN = 500;
const MAX_TITLE_CHARS = 512;

export class RssSource implements ReleaseSource<RssCursor> {
  readonly type = 'rss';
  readonly reportsFiles = false;
  readonly #http: Got;
  readonly #path: string;
  readonly #skewSeconds: number;
  readonly #now: () => number;
  readonly #logger: Logger | undefined;

  constructor(options: RssSourceOptions) {
    this.#http = options.http;
    this.#path = options.path ?? 'rss/updates.xml';
    this.#skewSeconds = options.maxClockSkewSeconds ?? 300;
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger;
  }

  async fetchSince(cursor: RssCursor | undefined): Promise<FetchResult<RssCursor>> {
    const page = parseRssPage(await requestText(this.#http, { method: 'GET', path: this.#path }));
    const nowSeconds = Math.floor(this.#now() / 1000);
    const items = this.#clampAndDedupe(page.items, nowSeconds);
    const base = { pages: 1, headCursorLag: 0, capped: false, rejected: page.rejected } as const;
    if (cursor === undefined) {
      // A first run starts from now: the feed's history is not ours to replay. An empty feed gives
      // time 0, so everything that appears later is new.
      return { ...base, events: [], cursor: nextCursor(undefined, items), gap: false };
    }

    const poisoned = cursor.time > nowSeconds + this.#skewSeconds;
    if (poisoned) {
      // Written from a bogus future pubDate (before dates were clamped): left alone it would hide every
      // release until that date. The window is read again; the poll's dedupe drops what it already had.
      this.#logger?.warn(
        { cursorTime: cursor.time, now: nowSeconds },
        'stored RSS cursor is in the future; reading the whole feed window again',
      );
    }
    const known = knownTitles(cursor);
    // With the last window known, anything in it or newer that was not in it is new (late commits
    // included); with only an old-shape cursor, what is newer than its second.
    const floor = poisoned
      ? Number.NEGATIVE_INFINITY
      : cursor.seen !== undefined && cursor.seen.length > 0
        ? extreme(
            cursor.seen.map(([, time]) => time),
            'min',
          )
        : cursor.time;
    const fresh = items.filter((item) => item.time >= floor && !known.has(item.title));
    const gap = !poisoned && this.#isGap(cursor, known, items);
    // Feed order is newest first: reversed, a second's releases come oldest first too.
    const events: ReleaseEvent[] = [...fresh]
      .reverse()
      .sort((a, b) => a.time - b.time)
      .map((item) => ({ name: item.name, version: item.version, timestamp: item.time, action: 'new' }));
    const next = nextCursor(poisoned ? undefined : cursor, items);
    return { ...base, events, cursor: next, gap };
  }

  /** pubDates past the clock become "now" (so they cannot push the cursor into the future); one item per title. */
  #clampAndDedupe(items: readonly RssItem[], nowSeconds: number): RssItem[] {
    const byTitle = new Map<string, RssItem>();
    let future = 0;
    for (const item of items) {
      if (byTitle.has(item.title)) continue;
      if (item.time > nowSeconds + this.#skewSeconds) future++;
      byTitle.set(item.title, item.time > nowSeconds ? { ...item, time: nowSeconds } : item);
    }
    if (future > 0) {
      this.#logger?.warn({ count: future, now: nowSeconds }, 'RSS items dated in the future; treated as published now');
    }
    return [...byTitle.values()];
  }

  /**
   * The releases seen last time are all gone from the feed and the feed starts at or after the cursor:
   * more releases came than the window holds, and the ones between fell off unseen.
   */
  #isGap(cursor: RssCursor, known: ReadonlySet<string>, items: readonly RssItem[]): boolean {
    if (known.size === 0 || items.length === 0) return false;
    if (items.some((item) => known.has(item.title))) return false;
    const oldest = extreme(
      items.map((item) => item.time),
      'min',
    );
    if (oldest < cursor.time) return false;
    this.#logger?.warn(
      { cursorTime: cursor.time, oldestInFeed: oldest, items: items.length },
      'RSS gap: the releases seen last time fell off the feed window, so releases in between were missed; the feed cannot be paged, ' +
        'set `source.type: changelog` for a complete record',
    );
    return true;
  }
}

function knownTitles(cursor: RssCursor): Set<string> {
  if (cursor.seen !== undefined && cursor.seen.length > 0) return new Set([...cursor.seen.map(([title]) => title), ...cursor.namesAtTime]);
  return new Set(cursor.namesAtTime);
}

function nextCursor(cursor: RssCursor | undefined, items: readonly RssItem[]): RssCursor {
  if (items.length === 0) return cursor ?? { time: 0, namesAtTime: [], seen: [] };
  const headTime = extreme(
    items.map((item) => item.time),
    'max',
  );
  // A head older than the cursor is a stale (CDN-cached) copy: the cursor never moves back.
  const time = Math.max(headTime, cursor?.time ?? 0);
  const titlesAtTime = items.filter((item) => item.time === time).map((item) => item.title);
  const namesAtTime = time === cursor?.time ? [...new Set([...cursor.namesAtTime, ...titlesAtTime])] : titlesAtTime;
  // Keep what was seen back to this feed's oldest item: all of this window, plus the fresher window
  // of an earlier fetch when this one is stale, so neither comes back as new next time.
  const oldest = extreme(
    items.map((item) => item.time),
    'min',
  );
  const merged = new Map<string, number>();
  for (const item of items) merged.set(item.title, item.time);
  for (const [title, seenAt] of cursor?.seen ?? []) if (seenAt >= oldest && !merged.has(title)) merged.set(title, seenAt);
  const seen = [...merged]
    .filter(([title]) => title.length <= MAX_TITLE_CHARS)
    .sort((a, b) => b[1] - a[1])
    .slice(0, MAX_SEEN);
  return { time, namesAtTime: namesAtTime.filter((title) => title.length <= MAX_TITLE_CHARS).slice(0, MAX_SEEN), seen };
}

/** Math.min/max without spreading: a hostile feed of 150,000 items would overflow the call stack. */
function extreme(values: readonly number[], which: 'min' | 'max'): number {
  let result = which === 'min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  for (const value of values) result = which === 'min' ? Math.min(result, value) : Math.max(result, value);
  return result;
}
