// Reads one poll's events into what they mean per release: which releases appeared, which have an
// sdist, and the withdrawals and restorations to apply, in PyPI's order. Nothing here touches Redis.

import { invalidSubject, type DecisionRecord } from '../decisions/decision-log.js';
import { releaseKey } from '../dedupe/dedupe-store.js';
import type { Logger } from '../logging/logger.js';
import { printable } from '../release/package-list.js';
import { checkProjectName } from '../release/project-name.js';
import type { ReleaseFilter } from '../release/release-filter.js';
import { checkVersion } from '../release/version.js';
import type { ReleaseEvent, WithdrawalReason } from '../sources/release-source.js';

/** A release this poll heard of, with what its events said. */
export interface PollRelease {
  readonly key: string;
  readonly name: string;
  readonly normalized: string;
  readonly version: string;
  readonly isPrerelease: boolean;
  /** Its `new release` (or RSS item) is in this poll. */
  sawNew: boolean;
  /** An `add source file` event is in this poll. */
  sawSdist: boolean;
  /** When PyPI recorded its first sdist in this poll (ms). */
  sdistAt?: number;
  /** When PyPI first recorded anything of it in this poll (ms). */
  firstAt: number;
  /** The newest serial about it in this poll. */
  serial: number | undefined;
  /** Withdrawn by a later event in this poll (and not restored after). */
  withdrawn: WithdrawalReason | undefined;
}

/** A withdrawal or restoration, of one release or (version undefined) of a whole project. */
export interface UpstreamChange {
  readonly kind: 'withdrawn' | 'restored';
  readonly reason: WithdrawalReason;
  readonly name: string;
  readonly normalized: string;
  readonly version?: string;
  readonly at: number;
}

export interface PollEvents {
  /** Releases that passed the name, version and filter checks, in first-seen order. */
  readonly releases: Map<string, PollRelease>;
  /** In PyPI's order. */
  readonly changes: UpstreamChange[];
  readonly decisions: DecisionRecord[];
  /** `new` events seen, before any check. */
  found: number;
  invalid: number;
  filtered: number;
}

export function readPollEvents(events: readonly ReleaseEvent[], filter: ReleaseFilter, log: Logger): PollEvents {
  const out: PollEvents = { releases: new Map(), changes: [], decisions: [], found: 0, invalid: 0, filtered: 0 };
  // Keys of releases per project, for a project-wide change without scanning every release.
  // One key as is, a list from the second on: most projects have one release in a poll.
  const keysByProject = new Map<string, string | string[]>();
  // Releases filtered or invalid once need no second decision for their file events.
  const dropped = new Set<string>();
  const invalidSeen = new Set<string>();
  // A release's events come together (`new release`, then its files) and repeat its name and
  // version: the check of the event before is reused when the text is the same (the PEP 440 parse
  // was a fifth of this loop's time at 100k releases; a map of every string cost as much as it saved).
  const lastName = lastCheck(checkProjectName);
  const lastVersion = lastCheck(checkVersion);

  for (const event of events) {
    if (event.action === 'new') out.found++;
    const name = lastName(event.name);
    if (!name.ok) {
      const raw = `${String(event.name)}\0${String(event.version)}`;
      if (invalidSeen.has(raw)) continue;
      invalidSeen.add(raw);
      out.invalid++;
      log.warn({ entry: rawEntry(event), reason: name.reason }, 'skipped invalid project name');
      out.decisions.push({ subject: invalidSubject(String(event.name)), decision: { kind: 'invalid', reason: name.reason } });
      continue;
    }
    const at = event.timestamp * 1000;
    if ((event.action === 'withdrawn' || event.action === 'restored') && event.version === '') {
      const reason = event.reason ?? 'removed';
      out.changes.push({ kind: event.action, reason, name: name.name, normalized: name.normalized, at });
      const keys = keysByProject.get(name.normalized) ?? [];
      for (const key of typeof keys === 'string' ? [keys] : keys) setWithdrawn(out.releases.get(key), event.action, reason);
      continue;
    }
    const version = lastVersion(event.version);
    if (!version.ok) {
      const raw = `${name.normalized}\0${String(event.version)}`;
      if (invalidSeen.has(raw)) continue;
      invalidSeen.add(raw);
      out.invalid++;
      log.warn({ entry: rawEntry(event), reason: version.reason }, 'skipped invalid version');
      out.decisions.push({
        subject: name.normalized,
        version: printable(event.version.slice(0, 100)),
        decision: { kind: 'invalid', reason: version.reason },
      });
      continue;
    }
    const key = releaseKey(name.normalized, version.version);
    if (event.action === 'withdrawn' || event.action === 'restored') {
      const reason = event.reason ?? 'removed';
      out.changes.push({ kind: event.action, reason, name: name.name, normalized: name.normalized, version: version.version, at });
      setWithdrawn(out.releases.get(key), event.action, reason);
      continue;
    }
    if (dropped.has(key)) continue;
    let release = out.releases.get(key);
    if (release === undefined) {
      const verdict = filter.check({ normalized: name.normalized, isPrerelease: version.isPrerelease });
      if (!verdict.ok) {
        dropped.add(key);
        out.filtered++;
        log.debug({ release: { name: name.name, version: version.version }, rule: verdict.rule }, 'filtered');
        out.decisions.push({ subject: name.normalized, version: version.version, decision: { kind: 'filtered', rule: verdict.rule } });
        continue;
      }
      release = {
        key,
        name: name.name,
        normalized: name.normalized,
        version: version.version,
        isPrerelease: version.isPrerelease,
        sawNew: false,
        sawSdist: false,
        firstAt: at,
        serial: undefined,
        withdrawn: undefined,
      };
      out.releases.set(key, release);
      const projectKeys = keysByProject.get(name.normalized);
      if (projectKeys === undefined) keysByProject.set(name.normalized, key);
      else if (typeof projectKeys === 'string') keysByProject.set(name.normalized, [projectKeys, key]);
      else projectKeys.push(key);
    } else if (event.action === 'new' && release.sawNew) {
      out.decisions.push({
        subject: name.normalized,
        version: version.version,
        decision: { kind: 'duplicate', detail: 'listed twice in one poll' },
      });
    }
    if (event.action === 'new') release.sawNew = true;
    if (event.action === 'sdist') {
      release.sawSdist = true;
      release.sdistAt = Math.min(release.sdistAt ?? at, at);
    }
    release.firstAt = Math.min(release.firstAt, at);
    if (event.serial !== undefined) release.serial = Math.max(release.serial ?? 0, event.serial);
  }
  return out;
}

/** `check`, remembering its last answer: asked about the same text again, it answers that. */
function lastCheck<T>(check: (raw: string) => T): (raw: string) => T {
  let lastRaw: string | undefined;
  let last: T;
  return (raw) => {
    if (raw !== lastRaw) {
      last = check(raw);
      lastRaw = raw;
    }
    return last;
  };
}

function setWithdrawn(release: PollRelease | undefined, kind: 'withdrawn' | 'restored', reason: WithdrawalReason): void {
  if (release) release.withdrawn = kind === 'withdrawn' ? reason : undefined;
}

/** Untrusted feed data, bounded and nested under a key we own. */
function rawEntry(event: ReleaseEvent): { name: string; version: string } {
  return { name: printable(String(event.name)), version: printable(String(event.version)) };
}
