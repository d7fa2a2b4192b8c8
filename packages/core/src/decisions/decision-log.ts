// What pypi-watch decided about each release it saw, and why: the answer to "why was X not built?".
//
// One story per project (newest 100 entries, each kept for the dedupe TTL), stored compactly: the
// stories are fields of 4,096 bucket hashes (a field costs a few dozen bytes of Redis overhead, a key
// of its own over a hundred), each entry a kind code and fixed fields (decision-codec.ts), and strings
// that recur across projects are kept once in a shared table. Hash fields cannot expire on their own
// (Redis 7.0), so writes drop a story's expired entries, reads skip them, the cleanup job drops them
// from every story and deletes the stories and shared strings nothing wrote to within the TTL
// (`prune`), and every bucket still expires whole when nothing was written to it for a TTL.
//
// Lists in the format before (one JSON list per project, `keys.why`) are still read, and expire by themselves.

import type { Redis } from 'ioredis';
import { evalScript } from '../redis/lua-script.js';
import type { RedisKeys } from '../redis/redis-keys.js';
import { describeDependencyDecision } from '../results/dependency-story.js';
import { encodeDecision } from './decision-codec.js';
import type { DecisionEntry, DecisionRecord } from './decision-types.js';
import { decodeLegacyEntries, decodeStory } from './story-format.js';
import { APPEND_SCRIPT, PRUNE_STORIES_SCRIPT, PRUNE_STRINGS_SCRIPT, READ_SCRIPT } from './story-scripts.js';
import { LOCAL, NO_VERSION, packText } from './story-text.js';

export type { Decision, DecisionEntry, DecisionRecord } from './decision-types.js';

/** Entries kept per project, newest first. */
export const KEEP_PER_PROJECT = 100;
/** Records per append script call: a few milliseconds of Redis time each, so no long block. */
const RECORDS_PER_CALL = 1000;
/** Buckets per prune script call: ~100 stories each at a million releases, a few milliseconds a call. */
const BUCKETS_PER_PRUNE = 16;
/** Longest string put in the shared table; longer ones (hostile ones among them) stay inline. */
const MAX_SHARED_CHARS = 100;
const SHAREABLE = /^[^\u0000-\u001f\ud800-\udfff]+$/;
/** Shared strings outlive their last use by this much more than the TTL: clocks of other hosts may lag. */
const SHARED_STRING_GRACE_MS = 86_400_000;

export interface DecisionLogOptions {
  readonly redis: Redis;
  readonly keys: Pick<RedisKeys, 'why' | 'whyStories' | 'whyStrings'>;
  /** How long an entry is told (ms): `dedupe.ttl`. */
  readonly ttlMs: number;
  /** @defaultValue Date.now */
  readonly now?: () => number;
  /** Story buckets. Stored data depends on it: changing it hides existing stories. @defaultValue 4096 */
  readonly bucketCount?: number;
}

export interface DecisionPrune {
  /** Stories whose newest entry is older than the TTL: deleted. */
  readonly stories: number;
  /** Stories that also held entries older than the TTL: those entries dropped. */
  readonly trimmed: number;
  /** Shared strings no entry younger than the TTL refers to. */
  readonly strings: number;
}

/** Where decisions about an invalid raw name are kept: it has no normalized form. */
export function invalidSubject(raw: string): string {
  return `invalid:${raw.slice(0, 200).toLowerCase()}`;
}

export class DecisionLog {
  readonly #redis: Redis;
  readonly #keys: DecisionLogOptions['keys'];
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #bucketCount: number;

  constructor({ redis, keys, ttlMs, now, bucketCount }: DecisionLogOptions) {
    this.#redis = redis;
    this.#keys = keys;
    this.#ttlMs = ttlMs;
    this.#now = now ?? Date.now;
    this.#bucketCount = bucketCount ?? 4096;
  }

  /**
   * Appends the records to their stories, in order. One script call per ~1,000 records, all sent
   * at once: one round trip of waiting, as a pipeline was. A subject's records share one call.
   */
  async record(records: readonly DecisionRecord[]): Promise<void> {
    if (records.length === 0) return;
    const at = Math.round(this.#now());
    const bySubject = new Map<string, DecisionRecord[]>();
    for (const record of records) {
      const group = bySubject.get(record.subject);
      if (group) group.push(record);
      else bySubject.set(record.subject, [record]);
    }
    // A story keeps its newest KEEP_PER_PROJECT entries, so older records of one batch would be dropped
    // by the script anyway; sending them all (a feed with 160,000 versions of one project) would make
    // one call of that many arguments, which overflows the stack and fails every poll after it.
    for (const [subject, group] of bySubject) {
      if (group.length > KEEP_PER_PROJECT) bySubject.set(subject, group.slice(-KEEP_PER_PROJECT));
    }
    const sends: Array<Promise<unknown>> = [];
    let call = new AppendCall(this.#keys.whyStrings);
    for (const [subject, group] of bySubject) {
      call.add(this.#bucketKey(subject), subject, group, at);
      if (call.records >= RECORDS_PER_CALL) {
        sends.push(this.#append(call, at));
        call = new AppendCall(this.#keys.whyStrings);
      }
    }
    if (call.records > 0) sends.push(this.#append(call, at));
    await Promise.all(sends);
  }

  /** The story of a project (oldest first), or of one of its versions (plus project-wide entries). */
  async story(subject: string, version?: string): Promise<DecisionEntry[]> {
    const keys = [this.#keys.why(subject), this.#bucketKey(subject), this.#keys.whyStrings];
    const [legacy, story, fields, values] = (await evalScript(this.#redis, READ_SCRIPT, keys, [subject])) as [
      string[],
      string,
      string[],
      Array<string | null>,
    ];
    const table = new Map<string, string>();
    fields.forEach((field, index) => {
      const value = values[index];
      const colon = value?.indexOf(':') ?? -1;
      if (value && colon !== -1) table.set(field.slice(1), value.slice(colon + 1));
    });
    const old = decodeLegacyEntries(legacy);
    const current = decodeStory(story, subject, (id) => table.get(id));
    // Lists in the format before are older, unless a worker not yet upgraded still writes them.
    const all = old.length === 0 ? current : [...old, ...current].sort((a, b) => a.at - b.at);
    const since = this.#now() - this.#ttlMs;
    const told = all.filter((entry) => entry.at > since).slice(-KEEP_PER_PROJECT);
    return version === undefined ? told : told.filter((entry) => entry.version === undefined || entry.version === version);
  }

  /**
   * Deletes (or with `dryRun`, counts) the stories and shared strings nothing within the TTL wrote to,
   * and drops the entries older than the TTL from the other stories (a write does too, but a story
   * may see none for weeks).
   */
  async prune({ dryRun = false }: { dryRun?: boolean } = {}): Promise<DecisionPrune> {
    const now = this.#now();
    const remove = dryRun ? '0' : '1';
    let stories = 0;
    let trimmed = 0;
    for (let first = 0; first < this.#bucketCount; first += BUCKETS_PER_PRUNE) {
      const buckets = Array.from({ length: Math.min(BUCKETS_PER_PRUNE, this.#bucketCount - first) }, (_, i) =>
        this.#keys.whyStories(first + i),
      );
      const [deleted, cut] = (await evalScript(this.#redis, PRUNE_STORIES_SCRIPT, buckets, [String(now - this.#ttlMs + 1), remove])) as [
        number,
        number,
      ];
      stories += deleted;
      trimmed += cut;
    }
    const stringCutoff = String(Math.floor((now - this.#ttlMs - SHARED_STRING_GRACE_MS) / 1000));
    const strings = Number(await evalScript(this.#redis, PRUNE_STRINGS_SCRIPT, [this.#keys.whyStrings], [stringCutoff, remove]));
    return { stories, trimmed, strings };
  }

  #append(call: AppendCall, at: number): Promise<unknown> {
    const head = [String(at), String(at - this.#ttlMs + 1), String(KEEP_PER_PROJECT), String(this.#ttlMs), String(Math.floor(at / 1000))];
    return evalScript(this.#redis, APPEND_SCRIPT, call.keys, [...head, String(call.strings.length), ...call.strings, ...call.args]);
  }

  #bucketKey(subject: string): string {
    return this.#keys.whyStories(fnv1a(subject) % this.#bucketCount);
  }
}

/** One append script call being built: its keys, the strings it shares, and the per-subject arguments. */
class AppendCall {
  readonly keys: string[];
  readonly strings: string[] = [];
  readonly args: string[] = [];
  records = 0;
  readonly #keyIndex = new Map<string, number>();
  readonly #stringIndex = new Map<string, string>();

  constructor(stringsKey: string) {
    this.keys = [stringsKey];
  }

  add(bucketKey: string, subject: string, group: readonly DecisionRecord[], at: number): void {
    let keyIndex = this.#keyIndex.get(bucketKey);
    if (keyIndex === undefined) {
      keyIndex = this.keys.push(bucketKey);
      this.#keyIndex.set(bucketKey, keyIndex);
    }
    this.args.push(String(keyIndex), subject, String(group.length));
    const context = { subject, at, share: (text: string) => this.#share(text) };
    for (const { version, decision } of group) {
      this.args.push(version === undefined ? NO_VERSION : packText(version), encodeDecision(decision, context));
    }
    this.records += group.length;
  }

  #share(text: string): string | undefined {
    if (text.length > MAX_SHARED_CHARS || !SHAREABLE.test(text)) return undefined;
    let token = this.#stringIndex.get(text);
    if (token === undefined) {
      token = LOCAL + this.strings.length.toString(36);
      this.strings.push(text);
      this.#stringIndex.set(text, token);
    }
    return token;
  }
}

/** 32-bit FNV-1a over UTF-16 code units: stable across processes and versions, which the bucket layout relies on. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** One line of `pypi-watch why`. */
export function describeDecision(entry: DecisionEntry): string {
  const d = entry.decision;
  const version = entry.version === undefined ? '' : ` ${entry.version}`;
  const when = new Date(entry.at).toISOString();
  const what = ((): string => {
    switch (d.kind) {
      case 'invalid':
        return `skipped as invalid: ${d.reason}`;
      case 'filtered':
        return `not built: filtered by ${d.rule}`;
      case 'duplicate':
        return `not queued again: ${d.detail}`;
      case 'queued':
        return d.joined && d.joined.length > 0
          ? `queued by ${d.origin}: joined the waiting submit job(s) ${d.joined.join(', ')} (latest wins: the farm builds the newest)`
          : `queued by ${d.origin} as ${d.jobs} submit job(s) in ${d.batchId}`;
      case 'waiting':
        return `waiting for sdist since ${new Date(d.since).toISOString()}${d.detail ? ` (${d.detail})` : ''}`;
      case 'held':
        return `held by filters.minAge until ${new Date(d.until).toISOString()}`;
      case 'no-sdist':
        return `not built: no sdist on PyPI since ${new Date(d.since).toISOString()} (filters.sdistWait ran out)`;
      case 'superseded':
        return `not built on its own: superseded by ${d.by} (the farm builds the newest)`;
      case 'withdrawn':
        return d.afterSubmit
          ? `built, then ${d.reason ?? 'withdrawn'} upstream: ${d.detail} (the RPM may need pulling)`
          : `withdrawn on PyPI: ${d.detail}`;
      case 'restored':
        return `restored on PyPI (${d.reason}): ${d.detail}`;
      case 'submitted':
        return `submitted for ${d.target}: farm job ${d.farmJobId}${d.resultRoot ? `, result_root ${d.resultRoot}` : ''}`;
      case 'submit-failed':
        return `submit for ${d.target} failed${d.final ? ' for good' : ' (will retry)'}: ${d.reason}`;
      case 'result':
        return `build for ${d.target}: ${d.status}${d.failureKind ? ` (${d.failureKind})` : ''}`;
      case 'resubmitted':
        return `resubmitted for ${d.target} (#${d.resubmit}): ${d.reason}`;
      case 'dependency':
        return describeDependencyDecision(d);
    }
  })();
  return `${when}${version}: ${what}`;
}
