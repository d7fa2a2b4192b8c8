// The contract every release source (PyPI changelog, PyPI RSS) fulfils for the poll worker.

/** One change PyPI reported. Name and version are raw: validating them is the caller's job. */
export interface ReleaseEvent {
  readonly name: string;
  /** Empty for a `remove project` withdrawal, which covers every version. */
  readonly version: string;
  /** When PyPI recorded it (unix seconds). */
  readonly timestamp: number;
  /** `withdrawn` covers removed releases, removed projects and yanked releases. */
  readonly action: 'new' | 'withdrawn';
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
  readonly rejected: readonly RejectedEntry[];
}

export interface ReleaseSource<C> {
  readonly type: 'changelog' | 'rss';
  /** Everything after `cursor`; with no cursor, only establishes one (no history replay). */
  fetchSince(cursor: C | undefined): Promise<FetchResult<C>>;
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
