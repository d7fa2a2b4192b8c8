// What the dashboard's overview page shows (GET /api/overview): the contract between readOverview and
// the page. All times are ms since the epoch, all counts integers; buckets oldest first, zeros included.

export interface Overview {
  readonly generatedAt: number;
  /** Cursor lag as `status` computes it; undefined before the first poll. */
  readonly lag: OverviewLag | undefined;
  readonly lastPoll: OverviewLastPoll | undefined;
  /** Last 48 hours, one bucket per hour. */
  readonly hourly: readonly HourlyBucket[];
  /** Last 60 minutes, one bucket per minute. */
  readonly minutely: readonly MinutelyBucket[];
  /** Submit starts in the last full minute, and submit.rateLimit expressed per minute (undefined when unlimited). */
  readonly rate: { readonly perMinute: number; readonly limitPerMinute: number | undefined };
  /** Job counts per queue now (every queue in QUEUE_NAMES). */
  readonly backlog: Readonly<Record<string, QueueBacklog>>;
  /** Last 90 days, one bucket per day (UTC): build outcomes. */
  readonly daily: readonly DailyBucket[];
  /** Seconds, over the last 24 hours; undefined percentiles when count is 0. */
  readonly latency: {
    readonly releaseToSubmit: LatencySummary;
    readonly submitToResult: LatencySummary;
  };
  /** What needs a person now, most severe first. `link` is a dashboard-relative path (e.g. `report`, `why?name=x`, `ui/queue/submit`). */
  readonly attention: readonly AttentionItem[];
}

export interface OverviewLag {
  readonly value: number;
  readonly unit: 'serials' | 'seconds';
}

export interface OverviewLastPoll {
  readonly at: number;
  readonly ok: boolean;
  readonly found: number;
  readonly queued: number;
  readonly gap: boolean;
  /** Why it failed (text from outside: PyPI's fault, a network error): escape it. */
  readonly error?: string;
}

export interface HourlyBucket {
  readonly at: number;
  readonly found: number;
  readonly queued: number;
  readonly waiting: number;
  readonly filtered: number;
  readonly superseded: number;
  readonly submitsStarted: number;
  readonly submitsFailed: number;
}

export interface MinutelyBucket {
  readonly at: number;
  readonly submitsStarted: number;
  readonly submitsFailed: number;
}

export interface QueueBacklog {
  readonly waiting: number;
  readonly active: number;
  readonly delayed: number;
  readonly failed: number;
}

export interface DailyBucket {
  readonly at: number;
  readonly success: number;
  readonly failure: number;
  readonly failureKinds: Readonly<Record<string, number>>;
}

export interface LatencySummary {
  readonly p50: number | undefined;
  readonly p95: number | undefined;
  readonly count: number;
}

/** Strings in `what` may hold text from outside (package names, error messages): the page must escape them. */
export interface AttentionItem {
  readonly severity: 'error' | 'warning';
  readonly what: string;
  readonly link?: string;
}
