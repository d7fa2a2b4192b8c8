// The overview's data as the page receives it (GET /api/overview, or the page's own data block).
//
// It mirrors core's `Overview` (packages/core/src/overview/overview.ts), which this browser project
// cannot import: core's sources compile against Node's types, these against the DOM's. The browser test
// checks what the page drew against Redis, so a drift between the two shows there.

export interface OverviewData {
  readonly generatedAt: number;
  readonly lag: { readonly value: number; readonly unit: 'serials' | 'seconds' } | undefined;
  readonly lastPoll:
    | {
        readonly at: number;
        readonly ok: boolean;
        readonly found: number;
        readonly queued: number;
        readonly gap: boolean;
        readonly error?: string;
      }
    | undefined;
  readonly hourly: ReadonlyArray<{
    readonly at: number;
    readonly found: number;
    readonly queued: number;
    readonly waiting: number;
    readonly filtered: number;
    readonly superseded: number;
    readonly submitsStarted: number;
    readonly submitsFailed: number;
  }>;
  readonly minutely: ReadonlyArray<{ readonly at: number; readonly submitsStarted: number; readonly submitsFailed: number }>;
  readonly rate: { readonly perMinute: number; readonly limitPerMinute: number | undefined };
  readonly backlog: Readonly<
    Record<string, { readonly waiting: number; readonly active: number; readonly delayed: number; readonly failed: number }>
  >;
  readonly daily: ReadonlyArray<{
    readonly at: number;
    readonly success: number;
    readonly failure: number;
    readonly failureKinds: Readonly<Record<string, number>>;
  }>;
  readonly latency: {
    readonly releaseToSubmit: LatencyData;
    readonly submitToResult: LatencyData;
  };
  readonly attention: ReadonlyArray<{ readonly severity: 'error' | 'warning'; readonly what: string; readonly link?: string }>;
}

export interface LatencyData {
  readonly p50: number | undefined;
  readonly p95: number | undefined;
  readonly count: number;
}

/** A number from the data, or 0: the data is JSON from a server that read it from Redis. */
export const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

/** Text from the data, or nothing. Only ever set with textContent. */
export const str = (value: unknown): string => (typeof value === 'string' ? value : '');

/**
 * A link the data names, if it stays inside the dashboard: a relative path such as `report`,
 * `why?name=x` or `ui/queue/submit`. No scheme (`javascript:`), no `//host`, no absolute path.
 */
export function safeLink(value: unknown): string | undefined {
  const link = str(value);
  if (link === '' || link.length > 500) return undefined;
  return /^[A-Za-z0-9_.~-][A-Za-z0-9_.~/-]*(\?[^\s#\\]*)?$/.test(link) && !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(link) ? link : undefined;
}

/** `42 s`, `3.5 min`, `2.1 h`. */
export function formatSeconds(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${(seconds / 60).toFixed(1)} min`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} d`;
}

/** `just now`, `5 min ago`, `3 h ago`. */
export function ago(at: number, now: number): string {
  const seconds = Math.max(0, (now - at) / 1000);
  return seconds < 30 ? 'just now' : `${formatSeconds(seconds)} ago`;
}
