// The decision log's compact stories, against a real Redis: every decision kind (and hostile text)
// reads back exactly as it was recorded and tells the same `why` line; the per-project bound, the TTL,
// the cleanup's prune, concurrent writers, round trips, and lists left by the format before.

import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { DecisionLog, describeDecision, type Decision, type DecisionEntry, type DecisionRecord } from '../src/decisions/decision-log.js';
import { runCleanup } from '../src/cleanup/cleanup.js';
import { DEPENDENCY_STEPS } from '../src/results/dependency-story.js';
import { redisKeys } from '../src/redis/redis-keys.js';
import { connectTestRedis, deleteKeysWithPrefix, uniquePrefix } from '@pypi-watch/test-utils';

const DAY = 86_400_000;
const TTL = 30 * DAY;
const START = 1_795_000_000_123;
const TARGET = 'os_arch=aarch64,testbox=vm-2p8g';

let redis: Redis;
let prefix: string;
let clock: number;

beforeAll(() => {
  redis = connectTestRedis();
});
afterAll(async () => {
  await redis.quit();
});
beforeEach(() => {
  prefix = uniquePrefix();
  clock = START;
});
afterEach(async () => {
  await deleteKeysWithPrefix(redis, prefix);
});

function log(connection: Redis = redis): DecisionLog {
  return new DecisionLog({ redis: connection, keys: redisKeys(prefix), ttlMs: TTL, now: () => clock });
}

/** What the format before stored and gave back: the entry through JSON. */
function asStored(entry: DecisionEntry): DecisionEntry {
  return JSON.parse(JSON.stringify(entry)) as DecisionEntry;
}

/** One of each kind, optional fields present and absent, values shaped like the real ones. */
function everyKind(at: number): Decision[] {
  return [
    { kind: 'invalid', reason: 'not a valid PyPI project name (letters, digits, ".", "_", "-")' },
    { kind: 'filtered', rule: 'filters.exclude: test-*' },
    { kind: 'duplicate', detail: 'already seen within dedupe.ttl' },
    { kind: 'queued', origin: 'poll', batchId: 'submit-log-20261201-080003', jobs: 1 },
    { kind: 'queued', origin: 'enqueue', batchId: 'submit-log-19991231-235959', jobs: 2, joined: [`rapid|1.0|${TARGET}`, 'other|2|x'] },
    { kind: 'queued', origin: 'poll', batchId: 'submit-log-20261399-250000', jobs: 0, joined: [] },
    { kind: 'waiting', since: at - 86_000_123 },
    { kind: 'waiting', since: at + 5, detail: 'no sdist yet (wheels only)' },
    { kind: 'held', until: at + 6 * 3_600_000 },
    { kind: 'no-sdist', since: at - 14 * DAY },
    { kind: 'superseded', by: '1.2' },
    { kind: 'withdrawn', detail: 'the release was yanked' },
    { kind: 'withdrawn', detail: 'the release was yanked', reason: 'yanked', afterSubmit: true },
    { kind: 'withdrawn', detail: '', reason: '', afterSubmit: false },
    { kind: 'restored', reason: 'unyanked', detail: 'eligible again (1 release(s))' },
    {
      kind: 'submitted',
      target: TARGET,
      farmJobId: 'crystal.1234567',
      resultRoot: '/srv/result/rpmbuild-python-update/2026-12-01/vm-2p8g/rapid/1234567',
    },
    { kind: 'submitted', target: TARGET, farmJobId: 'z9.1042' },
    { kind: 'submitted', target: 't', farmJobId: 'crystal.0042', resultRoot: '/srv/Rapid_Pkg/0042/rapid/' },
    { kind: 'submitted', target: 't', farmJobId: '', resultRoot: '' },
    { kind: 'submitted', target: 't', farmJobId: '12345678901234567890', resultRoot: 'relative' },
    { kind: 'submit-failed', target: TARGET, reason: 'exit code 3: connection refused', final: false },
    { kind: 'submit-failed', target: TARGET, reason: '', final: true },
    { kind: 'result', target: TARGET, status: 'success' },
    { kind: 'result', target: TARGET, status: 'failure', failureKind: 'missing-dependency' },
    { kind: 'resubmitted', target: TARGET, reason: 'farm repo outage', resubmit: 1 },
    { kind: 'resubmitted', target: TARGET, reason: 'farm repo outage', resubmit: 3 },
    ...DEPENDENCY_STEPS.map((step): Decision => ({ kind: 'dependency', step, module: 'flit_core' })),
    {
      kind: 'dependency',
      step: 'resubmitted',
      module: 'flit_core',
      project: 'flit-core',
      jobId: `flit-core||${TARGET}|dep`,
      farmJobId: 'crystal.77',
      dependent: 'rapid',
      detail: '1',
    },
    { kind: 'dependency', step: 'needed-by', module: '', project: '', jobId: '', farmJobId: '', dependent: '', detail: '' },
  ];
}

/** Text an uploader, a farm or a broken script could produce: quotes, our own separators, controls, huge. */
const HOSTILE = [
  `say "hi" 'there' \`now\``,
  'a\x1eb\x1fc\x1dd',
  '\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x10P',
  'line one\nline two\r\n\ttabbed\0nul',
  '\u001b]0;owned\u0007\u001b[2J\u009b2J\u202eevil',
  'lone \ud800 high, lone \udc00 low, pair \ud83d\ude00',
  'ünïcödé 😀 漢字',
  '{"kind":"invalid","reason":"x"}',
  '\\\\u0000 not an escape',
  'rapid',
  '|rapid|',
  '/rapid/1234567/',
  '\x1312\x1212',
  'r'.repeat(5000),
];

function hostileDecisions(text: string): Decision[] {
  return [
    { kind: 'invalid', reason: text },
    { kind: 'filtered', rule: text },
    { kind: 'duplicate', detail: text },
    { kind: 'queued', origin: 'poll', batchId: text, jobs: 1, joined: [text, `${text}|rapid`] },
    { kind: 'waiting', since: 1, detail: text },
    { kind: 'superseded', by: text },
    { kind: 'withdrawn', detail: text, reason: text, afterSubmit: true },
    { kind: 'restored', reason: text, detail: text },
    { kind: 'submitted', target: text, farmJobId: `${text}.1234567`, resultRoot: `/srv/${text}/rapid/1234567` },
    { kind: 'submitted', target: text, farmJobId: text, resultRoot: text },
    { kind: 'submit-failed', target: text, reason: text, final: true },
    { kind: 'result', target: text, status: text, failureKind: text },
    { kind: 'resubmitted', target: text, reason: text, resubmit: 2 },
    { kind: 'dependency', step: 'cycle', module: text, project: text, jobId: text, farmJobId: text, dependent: text, detail: text },
  ];
}

async function roundTrip(subject: string, records: DecisionRecord[]): Promise<void> {
  const decisions = log();
  await decisions.record(records);
  const expected = records.map((record) =>
    asStored({ at: clock, ...(record.version === undefined ? {} : { version: record.version }), decision: record.decision }),
  );
  const story = await decisions.story(subject);
  expect(story).toEqual(expected);
  expect(story.map(describeDecision)).toEqual(expected.map(describeDecision));
}

describe('decision stories: what is recorded is what is told', () => {
  test('every decision kind, optional fields present and absent, reads back exactly and tells the same line', async () => {
    const records = everyKind(clock).map((decision, index) => ({ subject: 'rapid', version: `1.${index % 3}`, decision }));
    await roundTrip('rapid', [{ subject: 'rapid', decision: { kind: 'duplicate', detail: 'project-wide' } }, ...records]);
  });

  test('hostile text in every field, the version and the subject reads back exactly', async () => {
    for (const text of HOSTILE) {
      const subject = `invalid:${text.slice(0, 200)}`;
      const records = hostileDecisions(text).map((decision) => ({ subject, version: text, decision }));
      await roundTrip(subject, records);
      clock += 1000;
    }
  });

  test('kinds and shapes the table does not know are kept whole (as JSON)', async () => {
    const odd = [
      { kind: 'from-a-later-version', note: 'x', count: 3 },
      { kind: 'held', until: 1.5 },
      { kind: 'queued', origin: 'webhook', batchId: 'b', jobs: 1 },
      { kind: 'result', target: TARGET, status: 'success', extra: true },
      { kind: 'submitted', target: TARGET, farmJobId: 7 },
      { kind: 'queued', origin: 'poll', batchId: 'b', jobs: 1, joined: [''] },
    ] as unknown as Decision[];
    await roundTrip(
      'odd',
      odd.map((decision) => ({ subject: 'odd', version: '1', decision })),
    );
  });

  test('one release from found to built takes a fraction of the JSON it was', async () => {
    const decisions = log();
    const release: DecisionRecord[] = [
      { subject: 'requests-toolbelt', version: '1.0.0', decision: { kind: 'waiting', since: clock - 40_000 } },
      {
        subject: 'requests-toolbelt',
        version: '1.0.0',
        decision: { kind: 'queued', origin: 'poll', batchId: 'submit-log-20261201-080003', jobs: 1 },
      },
      {
        subject: 'requests-toolbelt',
        version: '1.0.0',
        decision: {
          kind: 'submitted',
          target: TARGET,
          farmJobId: 'crystal.4815162',
          resultRoot: '/srv/result/rpmbuild-python-update/2026-12-01/vm-2p8g/requests-toolbelt/4815162',
        },
      },
      { subject: 'requests-toolbelt', version: '1.0.0', decision: { kind: 'result', target: TARGET, status: 'success' } },
    ];
    // Warm the shared strings as the rest of a deployment would have: they are paid for once, not per release.
    await decisions.record([{ subject: 'other', decision: release[2]!.decision }]);
    for (const record of release) {
      clock += 61_000;
      await decisions.record([record]);
    }
    const keys = redisKeys(prefix);
    const stored = await redis.hstrlen(keys.whyStories(bucketOf('requests-toolbelt')), 'requests-toolbelt');
    const json = release.reduce(
      (sum, record) => sum + JSON.stringify({ at: clock, version: record.version, decision: record.decision }).length,
      0,
    );
    expect(json).toBeGreaterThan(400);
    expect(stored).toBeGreaterThan(0);
    expect(stored).toBeLessThan(90);
    expect((await decisions.story('requests-toolbelt')).map((entry) => entry.decision)).toEqual(release.map((r) => r.decision));
  });
});

/** The bucket a subject's story is in: FNV-1a of the subject, mod 4096, as the log places it. */
function bucketOf(subject: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < subject.length; index++) {
    hash ^= subject.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % 4096;
}

describe('decision stories: bounds, versions and time', () => {
  test('keeps the newest 100 entries per project; the first kept names its version though it was stored once per run', async () => {
    const decisions = log();
    const all: DecisionRecord[] = [];
    // Runs of seven entries per version, over several calls and one large one.
    for (let index = 0; index < 230; index++) {
      all.push({ subject: 'busy', version: `0.${Math.floor(index / 7)}`, decision: { kind: 'superseded', by: String(index) } });
    }
    for (let start = 0; start < 30; start += 3) {
      await decisions.record(all.slice(start, start + 3));
      clock += 1000;
    }
    await decisions.record(all.slice(30, 200));
    clock += 1000;
    for (const record of all.slice(200)) {
      await decisions.record([record]);
      clock += 1;
    }
    const story = await decisions.story('busy');
    expect(story).toHaveLength(100);
    expect(story.map((entry) => [entry.version, (entry.decision as { by: string }).by])).toEqual(
      all.slice(130).map((record) => [record.version, (record.decision as { by: string }).by]),
    );
    expect(await decisions.story('busy', '0.20')).toHaveLength(7);
    const raw = await redis.hget(redisKeys(prefix).whyStories(bucketOf('busy')), 'busy');
    expect(raw!.split('\x1e')).toHaveLength(101);
  });

  test('a poll with 160,000 versions of one project records its newest 100 and does not overflow the stack', async () => {
    const decisions = log();
    const many: DecisionRecord[] = Array.from({ length: 160_000 }, (_, index) => ({
      subject: 'flood',
      version: `1.${index}`,
      decision: { kind: 'filtered', rule: 'prereleases' },
    }));
    many.push({ subject: 'other', version: '2.0', decision: { kind: 'filtered', rule: 'deny:^other$' } });
    await decisions.record(many);
    const story = await decisions.story('flood');
    expect(story).toHaveLength(100);
    expect(story[0]?.version).toBe('1.159900');
    expect(story.at(-1)?.version).toBe('1.159999');
    expect(await decisions.story('other')).toHaveLength(1);
  });

  test('project-wide entries have no version; asking for a version tells them too', async () => {
    const decisions = log();
    await decisions.record([
      { subject: 'mixed', version: '1.0', decision: { kind: 'superseded', by: '1.1' } },
      { subject: 'mixed', decision: { kind: 'withdrawn', detail: 'the project was removed' } },
      { subject: 'mixed', version: '1.1', decision: { kind: 'filtered', rule: 'filters.exclude: mixed' } },
      { subject: 'mixed', version: '1.0', decision: { kind: 'superseded', by: '1.2' } },
    ]);
    const story = await decisions.story('mixed', '1.0');
    expect(story.map((entry) => entry.version)).toEqual(['1.0', undefined, '1.0']);
    expect((await decisions.story('mixed')).map((entry) => entry.version)).toEqual(['1.0', undefined, '1.1', '1.0']);
  });

  test('an entry is told for the TTL after it was recorded; a write drops the expired ones', async () => {
    const decisions = log();
    await decisions.record([{ subject: 'aging', version: '1.0', decision: { kind: 'superseded', by: '1.1' } }]);
    clock += TTL / 2;
    await decisions.record([{ subject: 'aging', version: '1.1', decision: { kind: 'result', target: TARGET, status: 'success' } }]);
    clock = START + TTL - 1;
    expect((await decisions.story('aging')).map((entry) => entry.version)).toEqual(['1.0', '1.1']);
    clock = START + TTL;
    expect((await decisions.story('aging')).map((entry) => entry.version)).toEqual(['1.1']);
    await decisions.record([{ subject: 'aging', version: '1.1', decision: { kind: 'superseded', by: '1.2' } }]);
    const raw = await redis.hget(redisKeys(prefix).whyStories(bucketOf('aging')), 'aging');
    expect(raw!.split('\x1e')).toHaveLength(3);
    // The first entry kept names its version again: the one it shared with the dropped entry is gone.
    expect((await decisions.story('aging')).map((entry) => [entry.version, entry.decision.kind])).toEqual([
      ['1.1', 'result'],
      ['1.1', 'superseded'],
    ]);
    const ttl = await redis.pttl(redisKeys(prefix).whyStories(bucketOf('aging')));
    expect(ttl).toBeGreaterThan(TTL - 60_000);
  });

  test('prune deletes the stories and shared strings nothing wrote to within the TTL; a dry run only counts', async () => {
    const decisions = log();
    await decisions.record([
      { subject: 'gone', version: '1', decision: { kind: 'result', target: 'only-gone-used-this', status: 'success' } },
      { subject: 'kept', version: '1', decision: { kind: 'result', target: TARGET, status: 'success' } },
      { subject: 'same', version: '1', decision: { kind: 'superseded', by: '2' } },
    ]);
    clock += TTL - DAY;
    await decisions.record([{ subject: 'kept', version: '2', decision: { kind: 'result', target: TARGET, status: 'failure' } }]);
    // Stored without its version (the entry before named it): once that one is dropped, it must name it.
    await decisions.record([{ subject: 'same', version: '1', decision: { kind: 'superseded', by: '3' } }]);
    clock = START + TTL + 2 * DAY;
    // 'kept' loses its first entry; 'success' goes too: only entries older than the TTL used it.
    expect(await decisions.prune({ dryRun: true })).toEqual({ stories: 1, trimmed: 2, strings: 2 });
    const bucket = redisKeys(prefix).whyStories(bucketOf('kept'));
    expect((await redis.hget(bucket, 'kept'))!.split('\x1e')).toHaveLength(3);
    expect(await decisions.prune()).toEqual({ stories: 1, trimmed: 2, strings: 2 });
    expect(await decisions.prune()).toEqual({ stories: 0, trimmed: 0, strings: 0 });
    expect((await redis.hget(bucket, 'kept'))!.split('\x1e')).toHaveLength(2);
    const keys = redisKeys(prefix);
    expect(await redis.hexists(keys.whyStories(bucketOf('gone')), 'gone')).toBe(0);
    expect(await redis.hexists(keys.whyStrings, 'sonly-gone-used-this')).toBe(0);
    expect(await redis.hexists(keys.whyStrings, 'ssuccess')).toBe(0);
    expect(await redis.hexists(keys.whyStrings, `s${TARGET}`)).toBe(1);
    expect(await decisions.story('same')).toEqual([{ at: START + TTL - DAY, version: '1', decision: { kind: 'superseded', by: '3' } }]);
    expect(await decisions.story('kept')).toEqual([
      { at: START + TTL - DAY, version: '2', decision: { kind: 'result', target: TARGET, status: 'failure' } },
    ]);
  });
});

describe('decision stories: the cleanup job', () => {
  test('the cleanup job prunes the stories nothing wrote to within the TTL (a dry run counts them)', async () => {
    const decisions = log();
    await decisions.record([{ subject: 'stale', version: '1', decision: { kind: 'superseded', by: '2' } }]);
    clock += TTL;
    await decisions.record([{ subject: 'fresh', version: '1', decision: { kind: 'superseded', by: '2' } }]);
    const missing = `/nonexistent-${prefix}`;
    const options = { logDir: missing, updateListDir: missing, keepUpdateLists: 10, maxAgeMs: DAY, decisions, now: () => clock };
    expect(await runCleanup({ ...options, dryRun: true })).toMatchObject({ expiredDecisions: 1, failures: 0 });
    expect(await redis.hexists(redisKeys(prefix).whyStories(bucketOf('stale')), 'stale')).toBe(1);
    expect(await runCleanup(options)).toMatchObject({ expiredDecisions: 1, failures: 0 });
    expect(await redis.hexists(redisKeys(prefix).whyStories(bucketOf('stale')), 'stale')).toBe(0);
    expect(await decisions.story('fresh')).toHaveLength(1);
  });
});

describe('decision stories: writers and readers', () => {
  test('writers on two connections appending to one story at once lose no entry', async () => {
    const other = connectTestRedis();
    try {
      const [a, b] = [log(), log(other)];
      await Promise.all(
        Array.from({ length: 40 }, (_, index) =>
          (index % 2 === 0 ? a : b).record([{ subject: 'raced', version: String(index), decision: { kind: 'superseded', by: 'x' } }]),
        ),
      );
      expect((await a.story('raced')).map((entry) => Number(entry.version)).sort((x, y) => x - y)).toEqual(
        Array.from({ length: 40 }, (_, index) => index),
      );
    } finally {
      other.disconnect();
    }
  });

  test('a submit records in one round trip; a poll sends all its chunks before waiting for any', async () => {
    const decisions = log();
    await decisions.record([{ subject: 'warm', decision: { kind: 'duplicate', detail: 'x' } }]); // caches the script
    let sent = 0;
    const sendCommand = redis.sendCommand.bind(redis);
    redis.sendCommand = (...args: Parameters<typeof sendCommand>) => {
      sent++;
      return sendCommand(...args);
    };
    try {
      await decisions.record([{ subject: 'one', version: '1', decision: { kind: 'submitted', target: TARGET, farmJobId: 'crystal.1' } }]);
      expect(sent).toBe(1);
      sent = 0;
      const records: DecisionRecord[] = Array.from({ length: 5000 }, (_, index) => ({
        subject: `p${index}`,
        version: '1',
        decision: { kind: 'queued', origin: 'poll', batchId: 'submit-log-20261201-080003', jobs: 1 },
      }));
      const pending = decisions.record(records);
      const sentBeforeAnyReply = sent;
      await pending;
      expect(sentBeforeAnyReply).toBe(5);
      expect(sent).toBe(5);
    } finally {
      redis.sendCommand = sendCommand;
    }
    expect(await decisions.story('p4999')).toHaveLength(1);
  });

  test('lists written by the format before are still told after an upgrade, before the new entries', async () => {
    const keys = redisKeys(prefix);
    const before: DecisionEntry[] = [
      { at: clock - 3000, version: '1.0', decision: { kind: 'queued', origin: 'poll', batchId: 'submit-log-20261201-080003', jobs: 1 } },
      { at: clock - 2000, version: '1.0', decision: { kind: 'submitted', target: TARGET, farmJobId: 'z9.977' } },
      { at: clock - 1000, decision: { kind: 'duplicate', detail: 'already seen within dedupe.ttl' } },
    ];
    // Exactly what the format before wrote: RPUSH of JSON, LTRIM to 100, PEXPIRE.
    for (const entry of before) await redis.rpush(keys.why('upgraded'), JSON.stringify(entry));
    await redis.pexpire(keys.why('upgraded'), TTL);
    const decisions = log();
    const after: DecisionRecord = { subject: 'upgraded', version: '1.0', decision: { kind: 'result', target: TARGET, status: 'success' } };
    await decisions.record([after]);
    const story = await decisions.story('upgraded', '1.0');
    expect(story).toEqual([...before, { at: clock, version: '1.0', decision: after.decision }]);
    expect(story.map(describeDecision)[1]).toBe(
      '2026-11-18T11:06:38.123Z 1.0: submitted for os_arch=aarch64,testbox=vm-2p8g: farm job z9.977',
    );
  });

  test('a broken entry in Redis is left out, the rest still told', async () => {
    const keys = redisKeys(prefix);
    const decisions = log();
    await decisions.record([
      { subject: 'broken', version: '1', decision: { kind: 'superseded', by: '2' } },
      { subject: 'broken', version: '2', decision: { kind: 'superseded', by: '3' } },
    ]);
    const bucket = keys.whyStories(bucketOf('broken'));
    const raw = (await redis.hget(bucket, 'broken'))!;
    await redis.hset(
      bucket,
      'broken',
      `${raw}\x1e0\x1f\x1fZ\x1fnot a code\x1e0\x1f\x1fp\x1f\x12zz\x1e0\x1f\x1fp\x1f\x12\x1e0\x1f\x1fp\x1f4`,
    );
    await redis.rpush(
      keys.why('broken'),
      '{not json',
      JSON.stringify({ at: 'x' }),
      JSON.stringify({ at: clock - 1, decision: { kind: 'held', until: 1 } }),
    );
    const story = await decisions.story('broken');
    expect(story.map((entry) => entry.decision)).toEqual([
      { kind: 'held', until: 1 },
      { kind: 'superseded', by: '2' },
      { kind: 'superseded', by: '3' },
      { kind: 'superseded', by: '(unknown)' },
      { kind: 'superseded', by: '4' },
    ]);
  });
});
