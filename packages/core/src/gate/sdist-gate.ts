// The sdist gate: a release is buildable once an sdist is on PyPI (the farm builds from it), and,
// with `filters.minAge`, once it is old enough. Decides; the poll stores and queues in its own order.

import type { Logger } from '../logging/logger.js';
import type { ReleaseFiles, ReleaseFilesLookup } from '../sources/release-files.js';
import type { GateEntry } from './gate-store.js';

/** A release the gate is asked about. */
export interface GateCandidate {
  readonly key: string;
  readonly name: string;
  readonly normalized: string;
  readonly version: string;
  readonly isPrerelease: boolean;
  /** When it appeared on PyPI (ms). */
  readonly since: number;
  readonly serial?: number | undefined;
  /** The events (or an earlier check) showed an sdist. */
  readonly hasSdist: boolean;
  /** The events cannot tell: ask PyPI's JSON API. */
  readonly lookup: boolean;
  /** JSON checks made before. */
  readonly checks: number;
}

export type GateVerdict =
  | { readonly kind: 'buildable'; readonly candidate: GateCandidate }
  | { readonly kind: 'store'; readonly candidate: GateCandidate; readonly entry: GateEntry; readonly dueAt: number; readonly note?: string }
  | { readonly kind: 'no-sdist'; readonly candidate: GateCandidate };

export interface SdistGateOptions {
  /** `filters.requireSdist`. */
  readonly requireSdist: boolean;
  /** `filters.sdistWait` (ms). */
  readonly sdistWaitMs: number;
  /** `filters.minAge` (ms); 0 is off. */
  readonly minAgeMs: number;
  /**
   * How soon a release the JSON API could not confirm is asked again (ms); doubles per check, at most
   * a day. Only a source without file events re-checks on a schedule: otherwise the sdist arrives as an event.
   */
  readonly recheckMs: number;
  /** The source's `reportsFiles`: true decides from events alone; false (RSS) asks for every release. */
  readonly sourceReportsFiles: boolean;
  readonly lookup?: ReleaseFilesLookup;
  /** JSON API checks one poll may make; the rest wait for the next poll. @defaultValue 500 */
  readonly maxLookupsPerPoll?: number;
  /** JSON API checks in flight at once (the budget is checked as each one starts). @defaultValue 4 */
  readonly lookupConcurrency?: number;
  readonly logger: Logger;
  /** @defaultValue Date.now */
  readonly now?: () => number;
}

const MAX_RECHECK_MS = 86_400_000;
/** Failed checks in a row after which a poll stops asking: the JSON API is down, not one page. */
const FAILURES_TO_STOP = 5;

export class SdistGate {
  readonly #options: SdistGateOptions;
  readonly #now: () => number;
  #lookupsThisPoll = 0;
  #failuresInRow = 0;
  #inFlight = 0;
  readonly #queued: Array<() => void> = [];

  constructor(options: SdistGateOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** `filters.requireSdist`: off, releases that were waiting are released at the next poll. */
  get requiresSdist(): boolean {
    return this.#options.requireSdist;
  }

  /**
   * Resets the per-poll budget: at most `maxLookupsPerPoll` checks, and none after a few failures in
   * a row, so a hanging JSON API cannot hold a poll for hours while the RSS window moves on.
   */
  beginPoll(): void {
    this.#lookupsThisPoll = 0;
    this.#failuresInRow = 0;
  }

  /** One verdict per candidate, in order; JSON checks run as the lookup client allows. */
  async decide(candidates: readonly GateCandidate[]): Promise<GateVerdict[]> {
    return Promise.all(candidates.map((candidate) => this.#decideOne(candidate)));
  }

  /** A stored entry whose time came: held ones are released, waiting ones re-checked or given up. */
  async decideDue(entry: GateEntry, key: string): Promise<GateVerdict> {
    const candidate: GateCandidate = { ...entry, key, lookup: false };
    if (entry.state === 'held' || !this.#options.requireSdist) return this.#afterSdist(candidate);
    const expired = this.#now() >= entry.since + this.#options.sdistWaitMs;
    if (expired && !entry.hasSdist) return { kind: 'no-sdist', candidate };
    return this.#decideOne({ ...candidate, lookup: !entry.hasSdist });
  }

  async #decideOne(candidate: GateCandidate): Promise<GateVerdict> {
    if (!this.#options.requireSdist || candidate.hasSdist) return this.#afterSdist(candidate);
    if (!candidate.lookup || this.#options.lookup === undefined) return this.#wait(candidate, candidate.checks, false);
    await this.#slot();
    let files: ReleaseFiles;
    try {
      // Checked as the check starts, not when it was asked for: failures seen meanwhile count.
      if (this.#failuresInRow >= FAILURES_TO_STOP || this.#lookupsThisPoll >= (this.#options.maxLookupsPerPoll ?? 500)) {
        return this.#wait(candidate, candidate.checks, true, 'the JSON API check waits for the next poll');
      }
      this.#lookupsThisPoll++;
      files = await this.#options.lookup.lookup(candidate.name, candidate.version);
      this.#failuresInRow = 0;
    } catch (error) {
      this.#failuresInRow++;
      this.#options.logger.warn(
        { err: error, release: { name: candidate.name, version: candidate.version } },
        'sdist check failed; asking again next poll',
      );
      return this.#wait(candidate, candidate.checks, true, 'the JSON API could not be asked');
    } finally {
      this.#release();
    }
    const checks = candidate.checks + 1;
    const stale = files.lastSerial !== undefined && candidate.serial !== undefined && files.lastSerial < candidate.serial;
    if (stale)
      return this.#wait(
        { ...candidate, checks },
        checks,
        true,
        `the JSON API page is stale (serial ${files.lastSerial} < ${candidate.serial})`,
      );
    if (files.found && files.yanked) {
      const entry = toEntry(candidate, 'withdrawn', { checks, reason: 'yanked' });
      return { kind: 'store', candidate, entry, dueAt: this.#now() + this.#options.sdistWaitMs, note: 'yanked on PyPI' };
    }
    if (files.found && files.hasSdist) {
      const since = files.firstUploadAt ?? candidate.since;
      return this.#afterSdist({ ...candidate, since: Math.min(since, candidate.since), hasSdist: true, checks });
    }
    // Not found (yet: a page the CDN has not built) or wheels only: wait, and look again.
    return this.#wait({ ...candidate, checks }, checks, !this.#options.sourceReportsFiles || !files.found);
  }

  async #slot(): Promise<void> {
    if (this.#inFlight < (this.#options.lookupConcurrency ?? 4)) {
      this.#inFlight++;
      return;
    }
    await new Promise<void>((resolve) => this.#queued.push(resolve));
  }

  /** Hands the slot to the next waiting check, or frees it. */
  #release(): void {
    const next = this.#queued.shift();
    if (next) next();
    else this.#inFlight--;
  }

  #afterSdist(candidate: GateCandidate): GateVerdict {
    const until = candidate.since + this.#options.minAgeMs;
    if (this.#options.minAgeMs > 0 && this.#now() < until) {
      return { kind: 'store', candidate, entry: toEntry(candidate, 'held', { hasSdist: true }), dueAt: until };
    }
    return { kind: 'buildable', candidate };
  }

  /** Waits for an sdist: until the next re-check when `recheck`, else until `sdistWait` runs out. */
  #wait(candidate: GateCandidate, checks: number, recheck: boolean, note?: string): GateVerdict {
    const expiresAt = candidate.since + this.#options.sdistWaitMs;
    if (this.#now() >= expiresAt) return { kind: 'no-sdist', candidate };
    const backoff = Math.min(this.#options.recheckMs * 2 ** Math.max(0, checks - 1), MAX_RECHECK_MS);
    // A failed or stale check is asked again on the very next poll.
    const nextCheck = note === undefined ? this.#now() + backoff : this.#now() + 1;
    const dueAt = recheck ? Math.min(nextCheck, expiresAt) : expiresAt;
    const entry = toEntry(candidate, 'waiting', { checks });
    return { kind: 'store', candidate, entry, dueAt, ...(note === undefined ? {} : { note }) };
  }
}

function toEntry(
  candidate: GateCandidate,
  state: GateEntry['state'],
  extra: { checks?: number; hasSdist?: boolean; reason?: GateEntry['reason'] },
): GateEntry {
  return {
    state,
    name: candidate.name,
    normalized: candidate.normalized,
    version: candidate.version,
    isPrerelease: candidate.isPrerelease,
    since: candidate.since,
    hasSdist: extra.hasSdist ?? candidate.hasSdist,
    ...(candidate.serial === undefined ? {} : { serial: candidate.serial }),
    checks: extra.checks ?? candidate.checks,
    ...(extra.reason === undefined ? {} : { reason: extra.reason }),
  };
}
