// Release source over PyPI's XML-RPC changelog: exact, resumable by serial, withdrawals included.

import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { FetchResult, RejectedEntry, ReleaseEvent, ReleaseSource } from './release-source.js';
import { describeRaw } from './release-source.js';
import { FeedFormatError } from './source-errors.js';
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
  /** Where capped fetches are reported (warn level). @defaultValue no logging */
  readonly logger?: Logger;
}

const WITHDRAWALS = new Set(['remove release', 'remove project', 'yank release']);

type ParsedEntry =
  | { readonly kind: 'event'; readonly serial: number; readonly event: ReleaseEvent }
  | { readonly kind: 'ignored'; readonly serial: number }
  | { readonly kind: 'rejected'; readonly serial?: number; readonly reason: string };

export class ChangelogSource implements ReleaseSource<ChangelogCursor> {
  readonly type = 'changelog';
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

  async fetchSince(cursor: ChangelogCursor | undefined): Promise<FetchResult<ChangelogCursor>> {
    if (cursor === undefined) {
      // A first run starts from now: replaying PyPI's whole history would queue millions of builds.
      const serial = await this.#lastSerial();
      return { events: [], cursor: { serial }, pages: 0, headCursorLag: 0, capped: false, rejected: [] };
    }
    // Page towards the head as it was when we started, whatever page size the server uses (PyPI's is
    // 50,000, a mirror's may differ); releases that land meanwhile wait for the next fetch, so a busy
    // PyPI cannot keep us chasing it.
    const head = await this.#lastSerial();
    const events: ReleaseEvent[] = [];
    const rejected: RejectedEntry[] = [];
    let serial = cursor.serial;
    let pages = 0;
    let capped = false;
    while (serial < head) {
      if (pages >= this.#maxPages) {
        capped = true;
        this.#logger?.warn({ pages, serial, head }, 'changelog page cap reached; the rest follows on the next fetch');
        break;
      }
      if (pages > 0 && this.#pauseMs > 0) await sleep(this.#pauseMs);
      const page = await this.#rpc.call('changelog_since_serial', [serial]);
      pages++;
      if (!Array.isArray(page)) {
        throw new FeedFormatError(`changelog_since_serial(${serial}) returned ${describeRaw(page)}, not an array`);
      }
      const serialBefore = serial;
      for (const entry of page as readonly XmlRpcValue[]) {
        const parsed = parseEntry(entry);
        // An entry at or below the cursor was handled by an earlier fetch.
        if (parsed.serial !== undefined && parsed.serial <= cursor.serial) continue;
        if (parsed.serial !== undefined && parsed.serial > serial) serial = parsed.serial;
        if (parsed.kind === 'event') events.push(parsed.event);
        if (parsed.kind === 'rejected') rejected.push({ raw: describeRaw(entry), reason: parsed.reason });
      }
      if (serial === serialBefore) {
        // An empty page (serials can have gaps at the head), or one with no readable serial:
        // asking again from the same serial would return the same page forever.
        if (page.length > 0) this.#logger?.warn({ serial, pageLength: page.length }, 'changelog page without a readable newer serial; stopping here');
        break;
      }
    }
    return { events, cursor: { serial }, pages, headCursorLag: Math.max(0, head - serial), capped, rejected };
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
  const isWithdrawal = WITHDRAWALS.has(action);
  // Other actions (file uploads, role changes, …) only move the serial on.
  if (action !== 'new release' && !isWithdrawal) return { kind: 'ignored', serial };
  if (typeof name !== 'string') return { kind: 'rejected', serial, reason: 'name is not a string' };
  if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp)) {
    return { kind: 'rejected', serial, reason: 'timestamp is not an integer' };
  }
  let releaseVersion: string;
  if (typeof version === 'string') releaseVersion = version;
  else if (version === null && action === 'remove project') releaseVersion = '';
  else return { kind: 'rejected', serial, reason: 'version is not a string' };
  return {
    kind: 'event',
    serial,
    event: { name, version: releaseVersion, timestamp, action: isWithdrawal ? 'withdrawn' : 'new', serial },
  };
}
