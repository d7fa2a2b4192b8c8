// A decision-log workload shaped like PyPI's: real project names (the top 100,000, then the same names
// with a common suffix), a heavy-tailed number of releases per project, PEP 440-like versions, and
// each release's story as the poll and the workers tell it. Most releases go found → queued →
// submitted → result; some wait for an sdist first, some are filtered, duplicates, superseded,
// never get an sdist, fail to submit once, or are resubmitted after a farm repo outage.
// Records come out as the calls the services make, in time order, with the time of each call.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { batchIdFor } from '../../packages/core/src/index.js';
import type { Decision, DecisionEntry, DecisionRecord } from '../../packages/core/src/decisions/decision-log.js';
import { logUniform, seededRandom } from '@pypi-watch/test-utils';

const NAMES_FILE = fileURLToPath(new URL('../../../shared/data/pypi-top-100k.txt', import.meta.url));
const SUFFIXES = ['sdk', 'client', 'utils', 'tools', 'api', 'cli', 'core', 'mcp', 'plugin', 'lib', 'server', 'async', 'ext', 'helpers'];
const TARGET = 'os_arch=aarch64,testbox=vm-2p8g';
const RULES = ['prerelease', 'deny:filters.deny', 'deny:denyFile', 'allowFile'];
const FAILURES = ['missing-dependency', 'missing-dependency', 'spec-needs-repair', 'spec-needs-repair', 'other', 'ai-repair-skipped'];
/** One poll (and the workers' calls in between) per slot. */
const SLOT_MS = 120_000;
const MAX_RELEASES_PER_PROJECT = 400;
/** Releases per project ∝ k^-2.3: half the projects have one release in the window, a few have hundreds. */
const TAIL_EXPONENT = 2.3;

export interface DecisionCall {
  readonly at: number;
  readonly records: DecisionRecord[];
}

export interface DecisionMix {
  readonly releases: number;
  readonly projects: number;
  /** Where the names came from. */
  readonly names: string;
  /** The calls, in time order; a generator, so a million releases never sit in memory at once. */
  calls(): Generator<DecisionCall>;
  /** What a sample of projects (one in 500) was told, filled in as the calls are generated. */
  readonly expected: Map<string, DecisionEntry[]>;
  /** Entries by decision kind, filled in as the calls are generated. */
  readonly kinds: Map<string, number>;
}

type Pending = { readonly release: number; readonly step: 'queue' | 'submit' | 'result' | 'resubmit' | 'no-sdist' };

export function decisionMix({
  releases,
  start,
  windowMs,
  seed,
}: {
  releases: number;
  start: number;
  windowMs: number;
  seed: number;
}): DecisionMix {
  const random = seededRandom(seed);
  const { names, source } = projectNames();
  // Releases per project from the heavy tail, until there are enough.
  const weights = Array.from({ length: MAX_RELEASES_PER_PROJECT }, (_, k) => (k + 1) ** -TAIL_EXPONENT);
  const total = weights.reduce((a, b) => a + b, 0);
  const perProject: number[] = [];
  for (let left = releases; left > 0;) {
    let pick = random() * total;
    let k = 0;
    while (pick > weights[k]! && k < weights.length - 1) pick -= weights[k++]!;
    perProject.push(Math.min(k + 1, left));
    left -= k + 1;
  }
  const projects = perProject.length;
  const subjects = uniqueNames(names, projects);
  const nameOf = (project: number): string => subjects[project]!;
  // Each release gets a slot in the window; its version is its rank in its project's releases.
  const slots = Math.floor(windowMs / SLOT_MS);
  const project = new Int32Array(releases);
  const slot = new Int32Array(releases);
  const published = new Float64Array(releases);
  let next = 0;
  perProject.forEach((count, p) => {
    const times = Array.from({ length: count }, () => Math.floor(random() * slots)).sort((a, b) => a - b);
    for (const time of times) {
      project[next] = p;
      published[next] = start + time * SLOT_MS - Math.floor(random() * SLOT_MS);
      slot[next++] = time;
    }
  });
  const rank = new Int32Array(releases);
  for (let r = 1; r < releases; r++) rank[r] = project[r] === project[r - 1] ? rank[r - 1]! + 1 : 0;
  const bySlot: number[][] = Array.from({ length: slots }, () => []);
  for (let r = 0; r < releases; r++) bySlot[slot[r]!]!.push(r);

  const expected = new Map<string, DecisionEntry[]>();
  const kinds = new Map<string, number>();
  let farmJob = 4_800_000;

  function* calls(): Generator<DecisionCall> {
    const pending = new Map<number, Pending[]>();
    const later = (at: number, event: Pending): void => {
      const when = Math.floor((at - start) / SLOT_MS);
      if (when >= slots) return;
      const list = pending.get(when);
      if (list) list.push(event);
      else pending.set(when, [event]);
    };
    for (let s = 0; s < slots; s++) {
      const pollAt = start + s * SLOT_MS + 3_000;
      const workAt = start + s * SLOT_MS + 60_000;
      const batchId = batchIdFor(new Date(start + s * SLOT_MS));
      const poll: DecisionRecord[] = [];
      const work: DecisionRecord[] = [];
      const tell = (into: DecisionRecord[], at: number, release: number, decision: Decision): void => {
        const record = { subject: nameOf(project[release]!), version: versionOf(project[release]!, rank[release]!), decision };
        into.push(record);
        kinds.set(decision.kind, (kinds.get(decision.kind) ?? 0) + 1);
        if (project[release]! % 500 === 7) {
          const story = expected.get(record.subject) ?? [];
          story.push({ at, version: record.version, decision });
          expected.set(record.subject, story);
        }
      };
      const queue = (release: number): void => {
        tell(poll, pollAt, release, { kind: 'queued', origin: 'poll', batchId, jobs: 1 });
        later(pollAt + logUniform(random, 5_000, 600_000), { release, step: 'submit' });
      };
      for (const release of bySlot[s]!) {
        const fate = random();
        const publishedAt = published[release]!;
        if (fate < 0.09) tell(poll, pollAt, release, { kind: 'filtered', rule: RULES[Math.floor(random() * RULES.length)]! });
        else if (fate < 0.11) tell(poll, pollAt, release, { kind: 'duplicate', detail: 'already seen within dedupe.ttl' });
        else if (fate < 0.15) {
          tell(poll, pollAt, release, { kind: 'waiting', since: publishedAt });
          later(publishedAt + 14 * 86_400_000, { release, step: 'no-sdist' });
        } else if (fate < 0.36) {
          tell(poll, pollAt, release, { kind: 'waiting', since: publishedAt });
          later(pollAt + logUniform(random, 60_000, 6 * 3_600_000), { release, step: 'queue' });
        } else queue(release);
      }
      for (const { release, step } of pending.get(s) ?? []) {
        const fate = random();
        if (step === 'queue') queue(release);
        else if (step === 'no-sdist') tell(poll, pollAt, release, { kind: 'no-sdist', since: published[release]! });
        else if (step === 'submit' && fate < 0.05)
          tell(work, workAt, release, { kind: 'superseded', by: versionOf(project[release]!, rank[release]! + 1) });
        else if (step === 'submit' && fate < 0.08) {
          tell(work, workAt, release, {
            kind: 'submit-failed',
            target: TARGET,
            reason: 'exit code 1: connection to the scheduler refused',
            final: false,
          });
          later(workAt + 30_000 + SLOT_MS, { release, step: 'resubmit' });
        } else if (step === 'submit' || step === 'resubmit') {
          farmJob += 1 + Math.floor(random() * 3);
          const name = nameOf(project[release]!);
          const raw = fate > 0.9 ? name.replace(/(^|-)(\w)/g, (_, dash: string, c: string) => dash + c.toUpperCase()) : name;
          const day = new Date(workAt).toISOString().slice(0, 10);
          tell(work, workAt, release, {
            kind: 'submitted',
            target: TARGET,
            farmJobId: `crystal.${farmJob}`,
            resultRoot: `/srv/result/rpmbuild-python-update/${day}/vm-2p8g/${raw}/${farmJob}`,
          });
          later(workAt + logUniform(random, 600_000, 8 * 3_600_000), { release, step: 'result' });
        } else if (fate < 0.015) {
          tell(work, workAt, release, { kind: 'result', target: TARGET, status: 'failure', failureKind: 'repo-outage' });
          tell(work, workAt, release, { kind: 'resubmitted', target: TARGET, reason: 'farm repo outage', resubmit: 1 });
          later(workAt + SLOT_MS, { release, step: 'resubmit' });
        } else if (fate < 0.23) {
          tell(work, workAt, release, {
            kind: 'result',
            target: TARGET,
            status: 'failure',
            failureKind: FAILURES[Math.floor(random() * FAILURES.length)]!,
          });
        } else tell(work, workAt, release, { kind: 'result', target: TARGET, status: 'success' });
      }
      pending.delete(s);
      if (poll.length > 0) yield { at: pollAt, records: poll };
      if (work.length > 0) yield { at: workAt, records: work };
    }
  }
  return { releases, projects, names: source, calls, expected, kinds };
}

/** The real names, then each again with a suffix (`requests-sdk`), skipping any that is a real name already. */
function uniqueNames(real: readonly string[], count: number): string[] {
  const taken = new Set(real.slice(0, count));
  const out = real.slice(0, count);
  for (let round = 0; out.length < count; round++) {
    const suffix =
      round < SUFFIXES.length ? SUFFIXES[round]! : `${SUFFIXES[round % SUFFIXES.length]}${Math.floor(round / SUFFIXES.length)}`;
    for (let i = 0; i < real.length && out.length < count; i++) {
      const name = `${real[i]}-${suffix}`;
      if (taken.has(name)) continue;
      taken.add(name);
      out.push(name);
    }
  }
  return out;
}

/** Versions as PyPI has them: mostly X.Y.Z, some calendar versions, some short, some pre-releases. */
function versionOf(project: number, rank: number): string {
  const major = project % 4;
  const minor = (project >> 2) % 23;
  switch (project % 10) {
    case 7:
      return `2026.${1 + (rank % 12)}.${rank}`;
    case 8:
      return `${major}.${rank + 1}`;
    case 9:
      return rank % 2 === 0 ? `${major}.${minor}.0rc${rank}` : `${major}.${minor}.${rank}.dev${rank}`;
    default:
      return `${major}.${minor}.${rank}`;
  }
}

/** The top 100,000 PyPI names (shared/data), or made-up ones of the same mean length when that file is not there. */
function projectNames(): { names: string[]; source: string } {
  try {
    const names = readFileSync(NAMES_FILE, 'utf8')
      .split('\n')
      .filter((line) => line !== '');
    if (names.length > 0) return { names, source: `PyPI's top ${names.length.toLocaleString('en-US')} names` };
  } catch {
    // Not there: made-up names below.
  }
  return { names: Array.from({ length: 100_000 }, (_, i) => `project-${i.toString(36)}`), source: 'made-up names (no shared/data)' };
}
