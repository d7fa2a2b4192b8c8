// The contract every release source (PyPI changelog, PyPI RSS) fulfils for the poll worker.

import type { OnProgress } from '../progress/work-progress.js';

/** `source.type` values, one per source in this folder (create-source.ts builds each from config). */
export const SOURCE_TYPES = ['changelog', 'rss'] as const;
export type SourceType = (typeof SOURCE_TYPES)[number];

/**
 * What one changelog entry or feed item means for building:
 * - `new`: the release exists (`new release`, or an RSS item); files may follow.
 * - `sdist`: an sdist is on PyPI now (`add source file …`): what the farm builds from.
 * - `file`: any other file (`add py3 file …whl`, `add cp312 file …`, eggs): the release exists.
 * - `withdrawn`: yanked, removed or quarantined (a release, or with version `''` a whole project).
 * - `restored`: unyanked or quarantine cleared (a release, or with version `''` a whole project).
 */
export type ReleaseAction = 'new' | 'sdist' | 'file' | 'withdrawn' | 'restored';

/** Why a `withdrawn` or `restored` event happened. */
export type WithdrawalReason = 'yanked' | 'removed' | 'quarantined';

/** One change PyPI reported. Name and version are raw: validating them is the caller's job. */
export interface ReleaseEvent {
  readonly name: string;
  /** Empty for a project-level `withdrawn`/`restored` event (`remove project`, `project quarantined`, …). */
  readonly version: string;
  /** When PyPI recorded it (unix seconds). */
  readonly timestamp: number;
  readonly action: ReleaseAction;
  /** Set on `withdrawn` and `restored` events. */
  readonly reason?: WithdrawalReason;
  /** The changelog serial; RSS events have none. */
  readonly serial?: number;
}

/** A feed entry too broken to read (wrong types, missing fields); kept so the poll can report it. */
export interface RejectedEntry {
  /** The entry as received, JSON-encoded and cut to a few hundred characters. */
  readonly raw: string;
  readonly reason: string;
}

export interface FetchResult<C> {
  /** Oldest first. */
  readonly events: readonly ReleaseEvent[];
  /** Where the next fetch starts; a JSON-serialisable plain object. */
  readonly cursor: C;
  /** Feed pages or changelog pages requested. */
  readonly pages: number;
  /** How far the returned cursor trails PyPI's head: changelog serials, or RSS seconds. */
  readonly headCursorLag: number;
  /**
   * The fetch stopped before covering everything since the old cursor: the changelog
   * continues from the new cursor next time; the RSS feed cannot, so releases were missed.
   */
  readonly capped: boolean;
  /**
   * RSS only: the newest release seen by the previous fetch is no longer in the feed's window, so
   * releases between the two may have been missed (the feed cannot be paged). Changelog: always false.
   */
  readonly gap: boolean;
  readonly rejected: readonly RejectedEntry[];
}

export interface ReleaseSource<C> {
  readonly type: SourceType;
  /**
   * Whether its events report every file upload (`sdist`, `file`), so the sdist gate can decide
   * from events alone. When false (RSS lists releases only) the gate asks PyPI's JSON API about
   * every release and re-checks one without an sdist on a schedule.
   */
  readonly reportsFiles: boolean;
  /** The cursor `poll --since SERIAL` starts from; absent when this source has no serials. */
  cursorAtSerial?(serial: number): C;
  /** Everything after `cursor`; with no cursor, only establishes one (no history replay). */
  fetchSince(cursor: C | undefined, options?: FetchOptions): Promise<FetchResult<C>>;
}

export interface FetchOptions {
  /** Serials paged through so far, after each page (changelog only: the RSS feed is one request). @defaultValue none */
  readonly onProgress?: OnProgress | undefined;
}

const RAW_LIMIT = 300;

/** JSON of a broken entry, bounded so a hostile feed cannot flood logs or Redis. */
export function describeRaw(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > RAW_LIMIT ? `${text.slice(0, RAW_LIMIT)}…` : text;
}
