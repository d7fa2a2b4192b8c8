// Release source over PyPI's XML-RPC changelog: exact, resumable by serial, file events and withdrawals included.

import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { z } from '#zod';
import { meaningOf } from './changelog-actions.js';
import type { FetchOptions, FetchResult, RejectedEntry, ReleaseEvent, ReleaseSource } from './release-source.js';
import { describeRaw } from './release-source.js';
import { FeedFormatError } from '../errors.js';
import type { XmlRpcClient } from './xml-rpc-client.js';
import type { XmlRpcValue } from './xml-rpc.js';

export interface ChangelogCursor {
  /** The highest changelog serial already handled. */
  readonly serial: number;
}

/** For reading a stored cursor back: rejects anything but `{ serial: <non-negative integer> }`. */
export const changelogCursorSchema = z.strictObject({ serial: z.number().int().nonnegative() });

export interface ChangelogSourceOptions {
  /** XML-RPC client for PyPI's `/pypi` endpoint. */
  readonly rpc: XmlRpcClient;
  /** Pause between paged calls, to stay inside PyPI's XML-RPC rate limit. @defaultValue 500 (ms) */
  readonly pauseMs?: number;
  /** Pages fetched per `fetchSince`; the rest waits for the next call (`capped: true`). @defaultValue 100 */
  readonly maxPages?: number;
  /** Where capped fetches and entries above the head serial are reported (warn level). @defaultValue no logging */
  readonly logger?: Logger;
}

type ParsedEntry =
  | { readonly kind: 'event'; readonly serial: number; readonly event: ReleaseEvent }
  | { readonly kind: 'ignored'; readonly serial: number }
  | { readonly kind: 'rejected'; readonly serial?: number; readonly reason: string };

export class ChangelogSource implements ReleaseSource<ChangelogCursor> {
  readonly type = 'changelog';
  readonly reportsFiles = true;
  readonly #rpc: XmlRpcClient;
  readonly #pauseMs: number;
  readonly #maxPages: number;
  readonly #logger: Logger | undefined;

  constructor(options: ChangelogSourceOptions) {
    this.#rpc = options.rpc;
    this.#pauseMs = options.pauseMs ?? 500;
    this.#maxPages = options.maxPages ?? 100;
    this.#logger = options.logger;
  }

  cursorAtSerial(serial: number): ChangelogCursor {
    return { serial };
  }

  async fetchSince(cursor: ChangelogCursor | undefined, { onProgress }: FetchOptions = {}): Promise<FetchResult<ChangelogCursor>> {
    if (cursor === undefined) {
      // A first run starts from now: replaying PyPI's whole history would queue millions of builds.
      const serial = await this.#lastSerial();
      return { events: [], cursor: { serial }, pages: 0, headCursorLag: 0, capped: false, gap: false, rejected: [] };
    }
    // Page towards the head as it was when we started, whatever page size the server uses (PyPI's is
    // 50,000, a mirror's may differ); releases that land meanwhile wait for the next fetch, so a busy
    // PyPI cannot keep us chasing it.
    const head = await this.#lastSerial();
    if (cursor.serial > head) {
      // PyPI's serials never go down, so a cursor past the head was poisoned (an old bogus entry, or a
      // baseUrl switched to a smaller index). Left alone it would silence every later fetch with lag 0.
      this.#logger?.warn({ cursor: cursor.serial, head }, 'stored changelog cursor is above the head serial; restarting from the head');
      return { events: [], cursor: { serial: head }, pages: 0, headCursorLag: 0, capped: false, gap: false, rejected: [] };
    }
    const events: ReleaseEvent[] = [];
    const rejected: RejectedEntry[] = [];
    let serial = cursor.serial;
    let pages = 0;
    let capped = false;
    let aboveHead = 0;
    const progress = (): void => onProgress?.({ phase: 'changelog', done: serial - cursor.serial, total: head - cursor.serial });
    progress();
    while (serial < head) {
      if (pages >= this.#maxPages) {
        capped = true;
        this.#logger?.warn({ pages, serial, head }, 'changelog page cap reached; the rest follows on the next fetch');
        break;
      }
      if (pages > 0 && this.#pauseMs > 0) await sleep(this.#pauseMs);
      const serialBefore = serial;
      let entries = 0;
      let aboveHeadOnPage = 0;
      // Each entry is read as it is decoded, so only what it says is kept, never the page's values.
      // A page that fails to decode throws out of this fetch, and with it whatever it had added.
      const notArray = await this.#rpc.callForEach('changelog_since_serial', [serial], (entry) => {
        entries++;
        const parsed = parseEntry(entry);
        // An entry at or below the cursor was handled by an earlier fetch.
        if (parsed.serial !== undefined && parsed.serial <= cursor.serial) return;
        if (parsed.serial !== undefined && parsed.serial > head) {
          // The head bounds this fetch: a serial past it is bogus (or landed meanwhile, and comes
          // again next time). Taking it would move the cursor past every real release still to come.
          aboveHeadOnPage++;
          return;
        }
        if (parsed.serial !== undefined && parsed.serial > serial) serial = parsed.serial;
        if (parsed.kind === 'event') events.push(parsed.event);
        if (parsed.kind === 'rejected') rejected.push({ raw: describeRaw(entry), reason: parsed.reason });
      });
      pages++;
      if (notArray !== undefined) {
        throw new FeedFormatError(`changelog_since_serial(${serialBefore}) returned ${describeRaw(notArray)}, not an array`);
      }
      aboveHead += aboveHeadOnPage;
      progress();
      if (serial === serialBefore) {
        // An empty page (serials can have gaps at the head), one with only entries above the head,
        // or one with no readable serial: asking again from the same serial would return it forever.
        if (entries > aboveHeadOnPage)
          this.#logger?.warn({ serial, pageLength: entries }, 'changelog page without a readable newer serial; stopping here');
        break;
      }
    }
    if (aboveHead > 0) {
      this.#logger?.warn(
        { count: aboveHead, head, serial },
        'changelog entries with a serial above the head serial were ignored; the cursor stays at or below the head',
      );
    }
    return { events, cursor: { serial }, pages, headCursorLag: Math.max(0, head - serial), capped, gap: false, rejected };
  }

  async #lastSerial(): Promise<number> {
    const serial = await this.#rpc.call('changelog_last_serial');
    if (typeof serial !== 'number' || !Number.isSafeInteger(serial) || serial < 0) {
      throw new FeedFormatError(`changelog_last_serial() returned ${describeRaw(serial)}, not a serial number`);
    }
    return serial;
  }
}

/** Reads one `[name, version, timestamp, action, serial]` entry without trusting its shape. */
function parseEntry(entry: XmlRpcValue): ParsedEntry {
  if (!Array.isArray(entry) || entry.length < 5) {
    return { kind: 'rejected', reason: 'expected [name, version, timestamp, action, serial]' };
  }
  const [name, version, timestamp, action, serial] = entry as readonly XmlRpcValue[];
  if (typeof serial !== 'number' || !Number.isSafeInteger(serial) || serial < 0) {
    return { kind: 'rejected', reason: 'serial is not a non-negative integer' };
  }
  if (typeof action !== 'string') return { kind: 'rejected', serial, reason: 'action is not a string' };
  const meaning = meaningOf(action);
  // Other actions (file removals, role changes, legacy metadata updates, …) only move the serial on.
  if (meaning === undefined) return { kind: 'ignored', serial };
  if (typeof name !== 'string') return { kind: 'rejected', serial, reason: 'name is not a string' };
  if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp)) {
    return { kind: 'rejected', serial, reason: 'timestamp is not an integer' };
  }
  let releaseVersion: string;
  // Project-level actions have no version (PyPI sends <nil/>); whatever comes, they concern every version.
  if (meaning.projectLevel) releaseVersion = '';
  else if (typeof version === 'string') releaseVersion = version;
  else return { kind: 'rejected', serial, reason: 'version is not a string' };
  const event: ReleaseEvent = {
    name,
    version: releaseVersion,
    timestamp,
    action: meaning.action,
    ...(meaning.reason === undefined ? {} : { reason: meaning.reason }),
    serial,
  };
  return { kind: 'event', serial, event };
}
