// `pypi-watch status` as a person reads it (lag, last poll, submit rate, backlog, last failures, in 80
// columns, outside text escaped and bounded), and `--json` with every key it had before.

import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { describe, expect, inject } from 'vitest';
import { redisKeys, ResultStore, type BuildOutcome, type Status } from '@pypi-watch/core';
import { runCli, spawnCli, stopCli, waitFor, type CliSetup } from '@pypi-watch/test-utils';
import { test } from '@pypi-watch/test-utils/fixtures';

/** What must never reach the terminal raw: C0 but tab and line feed, DEL, C1, bidi overrides and isolates. */
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
/** A farm message that would retitle the terminal and flip the text, and goes on and on. */
const HOSTILE_FARM_ERROR = `\u001b]0;pwned\u0007 quota \u202eexceeded ${'x'.repeat(400)}`;

async function status(setup: CliSetup, ...flags: string[]): Promise<string> {
  const result = await runCli(['status', ...flags, '--config', setup.configFile], { env: setup.env });
  expect(result.code, result.stderr).toBe(0);
  return result.stdout;
}

async function statusJson(setup: CliSetup): Promise<Status> {
  return JSON.parse(await status(setup, '--json')) as Status;
}

async function poll(setup: CliSetup): Promise<void> {
  const result = await runCli(['poll', '--json', '--config', setup.configFile], { env: setup.env });
  expect(result.code, result.stderr).toBe(0);
}

function expectFitsTerminal(text: string): void {
  expect(text).not.toMatch(RAW_CONTROL);
  for (const line of text.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
}

function failedBuild(name: string, version: string, kind: string, finishedAt: number): BuildOutcome {
  return {
    name,
    normalized: name,
    version,
    target: 'os_arch=aarch64,testbox=vm-2p8g',
    farmJobId: 'crystal.7',
    resultRoot: `/srv/result/${name}`,
    batchId: 'submit-log-20261201-080000',
    status: 'failure',
    kind: kind as NonNullable<BuildOutcome['kind']>,
    submittedAt: finishedAt - 60_000,
    finishedAt,
  };
}

describe('pypi-watch status (text)', () => {
  test('shows lag, the last poll, the submit rate, backlog and the last failures from a failing stand-in submit, in 80 columns', async ({
    pypi,
    makeCli,
    redis,
  }) => {
    const setup = await makeCli({ source: { type: 'changelog', baseUrl: pypi.baseUrl, pagePause: 0 }, submit: { attempts: 1 } });
    await poll(setup);
    pypi.publishGenerated(2);
    await poll(setup);
    const enqueue = await runCli(['enqueue', 'fail-build-me==1.0', '--config', setup.configFile], { env: setup.env });
    expect(enqueue.code, enqueue.stderr).toBe(0);

    const worker = spawnCli(['worker', '--queues', 'submit', '--config', setup.configFile], {
      env: { ...setup.env, STANDIN_SUBMIT_ERROR: HOSTILE_FARM_ERROR },
    });
    try {
      await waitFor(
        async () => {
          const { submit } = (await statusJson(setup)).queues;
          return submit.completed === 2 && submit.failed === 1;
        },
        { what: 'two submits done and one failed', timeoutMs: 60_000, intervalMs: 300 },
      );
    } finally {
      expect(await stopCli(worker)).toBe(0);
    }
    // The result follower's record of a failed build, as it writes it.
    await new ResultStore({ redis, keys: redisKeys(setup.prefix) }).add(failedBuild('flit-thing', '2.1', 'missing-dependency', Date.now()));

    const text = await status(setup);
    expectFitsTerminal(text);
    expect(text).toMatch(/^lag: 0 serials behind PyPI at the last poll, cursor at serial \d+$/m);
    expect(text).toMatch(/^last poll: ok, (just now|\S+ ago) \(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\), took \S+, 1 page\(s\)$/m);
    expect(text).toMatch(/^ {2}found 2, queued 2 as 2 job\(s\), waiting 0, held 0, filtered 0,/m);
    expect(text).toMatch(/^submit rate: 3 finished in the last 1m \(1 failed\), limit 600 \(10 per 1s\)$/m);
    expect(text).toMatch(/^ {2}submit +0 +0 +0 +1 +2$/m);
    // The farm's message is cut to the line's room; what of it shows is escaped.
    expect(text).toMatch(/^ {2}submit fail-build-me 1\.0: submit failed.*… \((just now|\S+ ago)\)$/m);
    expect(text).toMatch(/^ {2}build {2}flit-thing 2\.1: missing-dependency \((just now|\S+ ago)\)$/m);

    // --json carries the reason longer (bounded), JSON-escaped.
    const json = await statusJson(setup);
    const [failed] = json.recentFailures.submits;
    expect(failed).toMatchObject({ name: 'fail-build-me', version: '1.0', target: 'os_arch=aarch64,testbox=vm-2p8g' });
    expect(failed?.reason).toContain('\u001b]0;pwned\u0007 quota \u202eexceeded');
    expect(String(failed?.reason).length).toBeLessThanOrEqual(300);
  }, 120_000);

  test('hostile job data and outcomes in Redis are escaped and bounded; a poll job that failed for good shows as FAILED', async ({
    cli,
    redis,
  }) => {
    const keys = redisKeys(cli.prefix);
    const now = Date.now();
    // As whoever can reach Redis could write them: a failed submit job with a name that drives the
    // terminal and a reason of 5,000 characters, an id naming no hash, an outcome with a hostile name.
    const evilName = `evil\u001b]0;pwned\u0007${'n'.repeat(500)}`;
    await redis.hset(`${keys.base}:submit:evil`, {
      data: JSON.stringify({ name: evilName, version: '1.0\u202e', target: 't' }),
      failedReason: `\u001b[2J${'r'.repeat(5000)}\nat stack`,
      finishedOn: String(now),
    });
    await redis.set(`${keys.base}:submit:not-a-hash`, 'x');
    await redis.zadd(`${keys.base}:submit:failed`, now, 'evil', now + 1, 'not-a-hash');
    await new ResultStore({ redis, keys }).add(failedBuild(`b\u009b2J${'b'.repeat(300)}`, '1', 'other\u001b[31m', now));

    // A real poll job that fails for good (as a worker records it after its last attempt).
    const connection = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
    const queue = new Queue('poll', { connection, prefix: keys.base });
    const worker = new Worker(
      'poll',
      () => {
        throw new UnrecoverableError('PyPI answered \u001b[31mfault -32500\nstack line');
      },
      { connection, prefix: keys.base },
    );
    try {
      await queue.add('poll', {});
      await waitFor(async () => (await queue.getFailedCount()) === 1, { what: 'the poll job to fail' });
    } finally {
      await worker.close();
      await queue.close();
      connection.disconnect();
    }

    const text = await status(cli);
    expectFitsTerminal(text);
    expect(text).toMatch(/^last poll: FAILED (just now|\S+ ago) \(\S+Z\):\n {2}PyPI answered \\x1b\[31mfault -32500$/m);
    expect(text).toMatch(/^ {2}submit job not-a-hash: \(no reason recorded\)$/m);
    expect(text).toMatch(/^ {2}submit evil\\x1b\]0;pwned\\x07n+…: \\x1b\[2Jr+… \((just now|\S+ ago)\)$/m);
    expect(text).toMatch(/^ {2}build {2}b\\x9b2Jb+…: other\\x1b\[31m \(/m);

    const json = await statusJson(cli);
    const submits = json.recentFailures.submits;
    expect(submits.map((s) => s.name.length)).toEqual([0, 200]);
    expect(submits[1]?.reason.length).toBe(300);
    expect(json.lastPollFailure).toMatchObject({ reason: 'PyPI answered \u001b[31mfault -32500' });
  }, 60_000);
});

describe('pypi-watch status --json', () => {
  test('keeps every key it had (queues, schedules, cursor, lastPoll, dedupeSize, gate, oldestWaiting) and adds the rate and failures', async ({
    pypi,
    makeCli,
  }) => {
    const setup = await makeCli({ source: { type: 'changelog', baseUrl: pypi.baseUrl, pagePause: 0 } });
    await poll(setup);
    pypi.publish([
      { name: 'has-sdist', version: '1.0' },
      { name: 'wheel-only', version: '2.0', files: ['bdist_wheel'] },
    ]);
    await poll(setup);
    const connection = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
    const queue = new Queue('poll', { connection, prefix: `{${setup.prefix}}` });
    try {
      await queue.upsertJobScheduler('poll-pypi', { every: 1_800_000 }, { name: 'poll', data: {} });
    } finally {
      await queue.close();
      connection.disconnect();
    }

    const json = await statusJson(setup);
    // What scripts read today (`status --json | jq .queues.submit`): the same names and shapes.
    expect(Object.keys(json)).toEqual(
      expect.arrayContaining(['queues', 'schedules', 'cursor', 'lastPoll', 'dedupeSize', 'gate', 'oldestWaiting']),
    );
    expect(Object.keys(json.queues)).toEqual(expect.arrayContaining(['poll', 'submit', 'cleanup', 'result']));
    for (const counts of Object.values(json.queues)) {
      expect(Object.keys(counts).sort()).toEqual([
        'active',
        'completed',
        'delayed',
        'failed',
        'prioritized',
        'waiting',
        'waiting-children',
      ]);
    }
    expect(json.queues.submit).toMatchObject({ waiting: 1 });
    expect(json.schedules).toEqual([{ queue: 'poll', id: 'poll-pypi', everyMs: 1_800_000, next: expect.any(Number) }]);
    expect(json.cursor).toEqual({ type: 'changelog', cursor: { serial: pypi.lastSerial } });
    expect(json.lastPoll).toMatchObject({ source: 'changelog', found: 2, queued: 1, waiting: 1, lag: 0 });
    expect(json.dedupeSize).toBe(1);
    expect(json.gate).toEqual({ waiting: 1, held: 0, withdrawn: 0 });
    expect(json.oldestWaiting).toEqual({ name: 'wheel-only', version: '2.0', since: expect.stringMatching(/Z$/) });
    // Added beside them.
    expect(json.submitRate).toEqual({
      windowMs: 60_000,
      finished: 0,
      failed: 0,
      limit: { max: 10, durationMs: 1000 },
      limitInWindow: 600,
      atLimit: false,
    });
    expect(json.recentFailures).toEqual({ submits: [], builds: [] });
    expect(json).not.toHaveProperty('lastPollFailure');
  }, 60_000);
});
