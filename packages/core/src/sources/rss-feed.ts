// Parses PyPI's latest-updates RSS feed (any of its formats since 2016) into releases, setting broken items aside.

import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { RejectedEntry } from './release-source.js';
import { describeRaw } from './release-source.js';
import { FeedFormatError } from '../errors.js';

export interface RssItem {
  /** `NAME VERSION`, as in the feed: what identifies an item across fetches. */
  readonly title: string;
  readonly name: string;
  readonly version: string;
  /** pubDate (unix seconds). */
  readonly time: number;
}

export interface RssPage {
  /** In feed order: newest first. */
  readonly items: readonly RssItem[];
  readonly rejected: readonly RejectedEntry[];
}

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  processEntities: true,
  // One <item> must still come back as an array.
  isArray: (tagName) => tagName === 'item',
});

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
// RFC 822 dates as PyPI writes them: `Thu, 09 Apr 2026 21:37:00 GMT` (the weekday is optional in RFC 822).
const RFC822_DATE = /^(?:[A-Z][a-z]{2}, )?(\d{1,2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) (GMT|UT|Z|[+-]\d{4})$/;

export function parseRssPage(xml: string): RssPage {
  // fast-xml-parser alone silently accepts a truncated document, so check well-formedness first.
  const validation = XMLValidator.validate(xml);
  if (validation !== true) {
    const { msg, line, col } = validation.err;
    throw new FeedFormatError(`RSS feed is not well-formed XML (truncated?): ${msg} at line ${line}, column ${col}`);
  }
  const document = parser.parse(xml) as { rss?: { channel?: { item?: unknown[] } | string } };
  const channel = document.rss?.channel;
  if (channel === undefined) throw new FeedFormatError('RSS feed has no <rss><channel> element');
  // An empty <channel/> parses to '' rather than an object.
  const rawItems = typeof channel === 'object' ? (channel.item ?? []) : [];
  const items: RssItem[] = [];
  const rejected: RejectedEntry[] = [];
  for (const raw of rawItems) {
    const parsed = parseItem(raw);
    if (typeof parsed === 'string') rejected.push({ raw: describeRaw(raw), reason: parsed });
    else items.push(parsed);
  }
  return { items, rejected };
}

/** Returns the item, or why it was rejected. */
function parseItem(raw: unknown): RssItem | string {
  if (typeof raw !== 'object' || raw === null) return 'item has no child elements';
  const { title, pubDate } = raw as { title?: unknown; pubDate?: unknown };
  if (typeof title !== 'string') return 'item has no text <title>';
  if (typeof pubDate !== 'string') return 'item has no text <pubDate>';
  const trimmed = title.trim();
  // PyPI's newest-projects feed (rss/packages.xml) looks the same but names projects, not releases.
  if (trimmed.endsWith(' added to PyPI'))
    return 'title is "NAME added to PyPI": an item of the newest-projects feed (rss/packages.xml), not a release';
  // Names and versions never contain whitespace, so a release title is exactly two words.
  const words = trimmed.split(/\s+/);
  const [name, version] = words;
  if (words.length !== 2 || name === undefined || version === undefined || name === '' || version === '')
    return 'title is not "NAME VERSION"';
  const time = parseRfc822(pubDate.trim());
  if (time === undefined) return 'pubDate is not an RFC 822 date like "Thu, 09 Apr 2026 21:37:00 GMT"';
  return { title: `${name} ${version}`, name, version, time };
}

/** Unix seconds, or undefined. Written out because Date.parse accepts far more than RFC 822. */
export function parseRfc822(text: string): number | undefined {
  const match = RFC822_DATE.exec(text);
  if (!match) return undefined;
  const [, day, monthName, year, hours, minutes, seconds, zone] = match;
  const month = MONTHS.indexOf(monthName ?? '');
  if (month === -1) return undefined;
  const ms = Date.UTC(Number(year), month, Number(day), Number(hours), Number(minutes), Number(seconds));
  const check = new Date(ms);
  // Date.UTC rolls 31 Feb over into March; a date that moved was not a real date.
  if (check.getUTCDate() !== Number(day) || Number(hours) > 23 || Number(minutes) > 59 || Number(seconds) > 60) return undefined;
  let offsetMinutes = 0;
  if (zone !== undefined && /^[+-]/.test(zone)) {
    const sign = zone.startsWith('-') ? -1 : 1;
    offsetMinutes = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5)));
  }
  return ms / 1000 - offsetMinutes * 60;
}
