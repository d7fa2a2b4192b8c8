// Redis state of the missing-dependency loop: builds parked until their dependency is built, the
// dependency builds queued (one per project and target within `dedupe.ttl`), and rounds per build.

import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis/redis-keys.js';

/** A failed build waiting for its dependency: enough to submit it again. */
export interface ParkedBuild {
  readonly name: string;
  readonly normalized: string;
  readonly version?: string;
  readonly target: string;
  readonly batchId: string;
  /** The missing module, as build.log named it, and the project built for it. */
  readonly module: string;
  readonly dependency: string;
  /** The dependency's submit job. */
  readonly jobId: string;
  readonly at: number;
}

export type DependencyBuildStatus = 'queued' | 'success' | 'failure';

export interface DependencyBuild {
  readonly jobId: string;
  readonly at: number;
  readonly status: DependencyBuildStatus;
  readonly farmJobId?: string;
  /** For a failure: its status and kind, e.g. `failure (other)`. */
  readonly detail?: string;
}

/** `NAME|VERSION|TARGET_ID`: one build of one release on one target. */
export function buildKey(normalized: string, version: string | undefined, target: string): string {
  return `${normalized}|${version ?? ''}|${target}`;
}

type DependencyKey = 'dependencyParked' | 'dependencyBuilds' | 'dependencyRounds' | 'dependencyWanted';

/** Distinct wanted projects kept; the least wanted go first. */
const MAX_WANTED = 10_000;

export interface WantedDependency {
  /** The normalized project, or `module:<name>` for a module no project was found for. */
  readonly project: string;
  /** How many failed builds were missing it. */
  readonly wantedBy: number;
  /** `built`, `building`, `failed`, or `not built` (denied, a cycle, no project, the round limit). */
  readonly status: 'built' | 'building' | 'failed' | 'not built';
}

export interface DependencyReport {
  /** Wanted projects built successfully since. */
  readonly resolved: number;
  /** Wanted projects not built (yet): building, failed, denied, unmapped. */
  readonly stillMissing: number;
  /** The most wanted projects still missing, most wanted first. */
  readonly mostWanted: readonly WantedDependency[];
}

export class DependencyStore {
  readonly #redis: Redis;
  readonly #keys: Pick<RedisKeys, DependencyKey>;
  readonly #ttlMs: number;

  constructor({ redis, keys, ttlMs }: { redis: Redis; keys: Pick<RedisKeys, DependencyKey>; ttlMs: number }) {
    this.#redis = redis;
    this.#keys = keys;
    this.#ttlMs = ttlMs;
  }

  async park(build: ParkedBuild): Promise<void> {
    const key = this.#keys.dependencyParked(build.dependency);
    await this.#redis
      .multi()
      .hset(key, buildKey(build.normalized, build.version, build.target), JSON.stringify(build))
      .pexpire(key, this.#ttlMs)
      .exec();
  }

  /** The builds parked on `dependency`, each with its field; records older than `dedupe.ttl` or not JSON are left out. */
  async parkedOn(dependency: string, now: number): Promise<Array<{ readonly field: string; readonly build: ParkedBuild }>> {
    const all = await this.#redis.hgetall(this.#keys.dependencyParked(dependency));
    const parked: Array<{ field: string; build: ParkedBuild }> = [];
    for (const [field, raw] of Object.entries(all)) {
      const build = parseJson<ParkedBuild>(raw);
      if (build && now - build.at < this.#ttlMs) parked.push({ field, build });
    }
    return parked;
  }

  async unpark(dependency: string, fields: readonly string[]): Promise<void> {
    if (fields.length > 0) await this.#redis.hdel(this.#keys.dependencyParked(dependency), ...fields);
  }

  /** The dependency build of `dependency` on `target` within `dedupe.ttl`, if any. */
  async build(dependency: string, target: string, now: number): Promise<DependencyBuild | undefined> {
    const build = parseJson<DependencyBuild>(await this.#redis.hget(this.#keys.dependencyBuilds, `${dependency}|${target}`));
    return build && now - build.at < this.#ttlMs ? build : undefined;
  }

  async setBuild(dependency: string, target: string, build: DependencyBuild): Promise<void> {
    const key = this.#keys.dependencyBuilds;
    await this.#redis.multi().hset(key, `${dependency}|${target}`, JSON.stringify(build)).pexpire(key, this.#ttlMs).exec();
  }

  /** Counts one more failed build missing each of `projects`. */
  async want(projects: readonly string[]): Promise<void> {
    if (projects.length === 0) return;
    const key = this.#keys.dependencyWanted;
    const multi = this.#redis.multi();
    for (const project of projects) multi.zincrby(key, 1, project);
    await multi
      .zremrangebyrank(key, 0, -MAX_WANTED - 1)
      .pexpire(key, this.#ttlMs)
      .exec();
  }

  /** Resolved vs still missing, and the `top` most wanted still missing: for `pypi-watch report`. */
  async report(now: number, top = 20): Promise<DependencyReport> {
    const [wanted, builds] = await Promise.all([
      this.#redis.zrevrange(this.#keys.dependencyWanted, 0, -1, 'WITHSCORES'),
      this.#redis.hgetall(this.#keys.dependencyBuilds),
    ]);
    // Per project, over every target: built anywhere wins, then building, then failed.
    const statusOf = new Map<string, WantedDependency['status']>();
    const rank = { built: 3, building: 2, failed: 1, 'not built': 0 } as const;
    for (const [field, raw] of Object.entries(builds)) {
      const build = parseJson<DependencyBuild>(raw);
      if (!build || now - build.at >= this.#ttlMs) continue;
      const project = field.slice(0, field.indexOf('|'));
      const status = build.status === 'success' ? 'built' : build.status === 'queued' ? 'building' : 'failed';
      if (rank[status] > rank[statusOf.get(project) ?? 'not built']) statusOf.set(project, status);
    }
    let resolved = 0;
    const missing: WantedDependency[] = [];
    for (let i = 0; i + 1 < wanted.length; i += 2) {
      const project = wanted[i]!;
      const status = statusOf.get(project) ?? 'not built';
      if (status === 'built') resolved++;
      else missing.push({ project, wantedBy: Number(wanted[i + 1]), status });
    }
    return { resolved, stillMissing: missing.length, mostWanted: missing.slice(0, top) };
  }

  async rounds(build: string): Promise<number> {
    return Number(await this.#redis.hget(this.#keys.dependencyRounds, build)) || 0;
  }

  /** Counts one more round of `build`; returns the new count. */
  async addRound(build: string): Promise<number> {
    const key = this.#keys.dependencyRounds;
    const [[, rounds] = [null, 0]] = (await this.#redis.multi().hincrby(key, build, 1).pexpire(key, this.#ttlMs).exec()) ?? [];
    return Number(rounds);
  }
}

/** Redis content is hostile too: a record that is not JSON is as good as none. */
function parseJson<T>(raw: string | null | undefined): T | undefined {
  if (raw === null || raw === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(raw);
    return typeof value === 'object' && value !== null ? (value as T) : undefined;
  } catch {
    return undefined;
  }
}
