// Release source over PyPI's latest-updates RSS feed, paging backwards with `before=` to the cursor.

import type { Got } from 'got';
import type { Logger } from 'pino';
import { z } from 'zod';
import { requestText } from './http-client.js';
import type { FetchResult, RejectedEntry, ReleaseEvent, ReleaseSource } from './release-source.js';
import { parseRssPage, type RssItem, type RssPage } from './rss-feed.js';

export interface RssCursor {
  /** pubDate of the newest item seen (unix seconds). */
  readonly time: number;
  /** Titles (`NAME VERSION`) seen at exactly `time`: many releases share a second, and more may land in it later. */
  readonly namesAtTime: readonly string[];
}

/** For reading a stored cursor back. */
export const rssCursorSchema = z.strictObject({
  time: z.number().int().nonnegative(),
  namesAtTime: z.array(z.string()),
});

export interface RssSourceOptions {
  /** HTTP client (from createHttpClient) whose base URL is PyPI's. */
  readonly http: Got;
  /** Feed path relative to the base URL. @defaultValue `rss/updates.xml` */
  readonly path?: string;
  /** Pages fetched per `fetchSince`; older releases beyond them are lost (`capped: true`). @defaultValue 50 */
  readonly maxPages?: number;
  /** Where capped or overflowing fetches are reported (warn level). @defaultValue no logging */
  readonly logger?: Logger;
}

export class RssSource implements ReleaseSource<RssCursor> {
  readonly type = 'rss';
  readonly #http: Got;
  readonly #path: string;
  readonly #maxPages: number;
  readonly #logger: Logger | undefined;

  constructor(options: RssSourceOptions) {
    this.#http = options.http;
    this.#path = options.path ?? 'rss/updates.xml';
    this.#maxPages = options.maxPages ?? 50;
    this.#logger = options.logger;
  }

  async fetchSince(cursor: RssCursor | undefined): Promise<FetchResult<RssCursor>> {
    let page = await this.#fetchPage(undefined);
    let pages = 1;
    const rejected: RejectedEntry[] = [...page.rejected];
    if (page.items.length === 0) {
      // An empty feed means nothing was ever released, so everything that appears later is new.
      const emptyCursor = cursor ?? { time: 0, namesAtTime: [] };
      return { events: [], cursor: emptyCursor, pages, headCursorLag: 0, capped: false, rejected };
    }
    const headTime = Math.max(...page.items.map((item) => item.time));
    if (cursor === undefined) {
      // A first run starts from now: the feed's history is not ours to replay.
      const namesAtTime = page.items.filter((item) => item.time === headTime).map((item) => item.title);
      return { events: [], cursor: { time: headTime, namesAtTime }, pages, headCursorLag: 0, capped: false, rejected };
    }

    const known = new Set(cursor.namesAtTime);
    // Keyed by time + title: re-asking for a boundary second returns items we already have.
    const collected = new Map<string, RssItem>();
    let before = headTime + 1; // what the first, unparameterised page covered
    let overflowSecond: number | undefined;
    let capped = false;
    for (;;) {
      if (overflowSecond !== undefined && page.items.length > 0) {
        // Older items exist, so the single-second page was full: the rest of that second is out of reach.
        capped = true;
        this.#logger?.warn({ second: overflowSecond }, 'more releases in one second than an RSS page holds; some were missed (the changelog source has no such gap)');
        overflowSecond = undefined;
      }
      for (const item of page.items) {
        if (item.time < cursor.time || (item.time === cursor.time && known.has(item.title))) continue;
        const key = `${item.time} ${item.title}`;
        if (!collected.has(key)) collected.set(key, item);
      }
      if (page.items.length === 0) break; // the beginning of the feed
      const oldest = Math.min(...page.items.map((item) => item.time));
      // `before` is strictly-before, so ask again from the oldest second: its other releases may not have fit.
      let next = oldest + 1;
      if (next >= before) {
        // The page is a single second; asking for it again would return the same page forever.
        next = oldest;
        if (oldest > cursor.time) overflowSecond = oldest;
      }
      if (next <= cursor.time) break; // everything older was seen by an earlier fetch
      if (pages >= this.#maxPages) {
        capped = true;
        this.#logger?.warn({ pages, reachedTime: oldest, cursorTime: cursor.time }, 'RSS page cap reached before the cursor; older releases were missed');
        break;
      }
      before = next;
      page = await this.#fetchPage(before);
      pages++;
      rejected.push(...page.rejected);
    }

    // Feed order is newest first, and later pages are older: reversed, it is oldest first.
    const items = [...collected.values()].reverse().sort((a, b) => a.time - b.time);
    const events: ReleaseEvent[] = items.map((item) => ({
      name: item.name,
      version: item.version,
      timestamp: item.time,
      action: 'new',
    }));
    const next = nextCursor(cursor, headTime, items);
    return { events, cursor: next, pages, headCursorLag: Math.max(0, headTime - next.time), capped, rejected };
  }

  async #fetchPage(before: number | undefined): Promise<RssPage> {
    const xml = await requestText(this.#http, {
      method: 'GET',
      path: this.#path,
      ...(before === undefined ? {} : { searchParams: { before } }),
    });
    return parseRssPage(xml);
  }
}

function nextCursor(cursor: RssCursor, headTime: number, items: readonly RssItem[]): RssCursor {
  // A head older than the cursor means releases vanished from the feed; keep what we had.
  if (headTime < cursor.time) return cursor;
  const titlesAtHead = items.filter((item) => item.time === headTime).map((item) => item.title);
  if (headTime > cursor.time) return { time: headTime, namesAtTime: titlesAtHead };
  return { time: headTime, namesAtTime: [...new Set([...cursor.namesAtTime, ...titlesAtHead])] };
}
