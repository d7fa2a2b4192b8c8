import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, test } from 'vitest';
import { DecisionLog, redisKeys, ResultStore, type BuildOutcome } from '@pypi-watch/core';
import { runCli, createCliSetup, type CliSetup } from '@pypi-watch/test-utils';

/** A yanked version as a hostile uploader would write it: retitle the terminal, clear it, flip the text. */
const HOSTILE = '1.0\u001b]0;pwned\u0007\u001b[2J\u009b2J\u202eevil\u2066x\r';
/** What must never reach the terminal raw: ESC, BEL, CR, CSI (C1), bidi overrides and isolates. */
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

const setups: CliSetup[] = [];
afterEach(async () => {
  for (const setup of setups.splice(0)) await setup.remove();
});

describe('pypi-watch why / report', () => {
  test('why tells what happened to a release; report summarises outcomes', async () => {
    const setup = await createCliSetup();
    setups.push(setup);
    const cli = (...args: string[]) => runCli([...args, '--config', setup.configFile], { env: setup.env });

    expect((await cli('enqueue', 'Some_Package==1.0')).code).toBe(0);
    const why = await cli('why', 'some-package==1.0');
    expect(why.code, why.stderr).toBe(0);
    expect(why.stdout).toMatch(/some-package==1\.0:\n {2}\S+ 1\.0: queued by enqueue as 1 submit job\(s\) in submit-log-\d{8}-\d{6}/);

    const unknown = await cli('why', 'never-seen');
    expect(unknown.stdout).toContain('nothing recorded');
    const invalid = await cli('why', '../etc/passwd');
    expect(invalid.stdout).toMatch(/not a valid PyPI project name/);

    const report = await cli('report', '--json');
    expect(report.code, report.stderr).toBe(0);
    expect(JSON.parse(report.stdout)).toMatchObject({ total: 0, byStatus: { success: 0, failure: 0 }, successRate: 0 });
    const bad = await cli('report', '--since', 'forever');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since expects a duration');
  }, 60_000);
});

describe('pypi-watch cleanup', () => {
  test('prunes why stories older than dedupe.ttl and says how many', async () => {
    const setup = await createCliSetup();
    setups.push(setup);
    const cli = (...args: string[]) => runCli([...args, '--config', setup.configFile], { env: setup.env });
    const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
    try {
      // Written a year ago: far past any dedupe.ttl, by a process whose stories nothing wrote to since.
      const yearAgo = Date.now() - 365 * 86_400_000;
      const old = new DecisionLog({ redis, keys: redisKeys(setup.prefix), ttlMs: 400 * 86_400_000, now: () => yearAgo });
      await old.record([{ subject: 'old-pkg', version: '1.0', decision: { kind: 'filtered', rule: 'deny:^old-' } }]);
    } finally {
      redis.disconnect();
    }
    expect((await cli('enqueue', 'fresh-pkg==2.0')).code).toBe(0);

    const dry = await cli('cleanup', '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('would remove 0 batch log folder(s), 0 update list(s), 0 expired dedupe entries, 1 expired why story');

    const done = await cli('cleanup');
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain('1 expired why story');
    expect((await cli('cleanup')).stdout).toContain('0 expired why stories');
    expect((await cli('why', 'old-pkg')).stdout).toContain('nothing recorded');
    expect((await cli('why', 'fresh-pkg')).stdout).toContain('queued by enqueue');
  }, 60_000);
});

describe('feed text that would drive the terminal', () => {
  test('why, why --json and report print a hostile version and farm path escaped, not raw', async () => {
    const setup = await createCliSetup();
    setups.push(setup);
    const cli = (...args: string[]) => runCli([...args, '--config', setup.configFile], { env: setup.env });
    const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
    try {
      // As a poll records a yank, and the submit and result workers what the farm said.
      const decisions = new DecisionLog({ redis, keys: redisKeys(setup.prefix), ttlMs: 86_400_000 });
      await decisions.record([
        { subject: 'evil-pkg', version: HOSTILE, decision: { kind: 'withdrawn', detail: `yank release ${HOSTILE}` } },
        {
          subject: 'evil-pkg',
          version: HOSTILE,
          decision: { kind: 'submit-failed', target: 'os_arch=aarch64', reason: `farm: ${HOSTILE}`, final: true },
        },
      ]);
      const outcome = {
        name: 'evil-pkg',
        normalized: 'evil-pkg',
        version: HOSTILE,
        target: 'os_arch=aarch64',
        farmJobId: 'z9.1',
        resultRoot: `/srv/result/${HOSTILE}`,
        batchId: 'submit-log-20261125-131500',
        status: 'failure',
        kind: 'other',
        buildDurationMs: 60_000,
        submittedAt: Date.now() - 120_000,
        finishedAt: Date.now(),
      } as BuildOutcome;
      await new ResultStore({ redis, keys: redisKeys(setup.prefix) }).add(outcome);
    } finally {
      redis.disconnect();
    }

    const why = await cli('why', 'evil-pkg');
    expect(why.code, why.stderr).toBe(0);
    expect(why.stdout).not.toMatch(RAW_CONTROL);
    expect(why.stdout).toContain('withdrawn on PyPI: yank release 1.0\\x1b]0;pwned\\x07\\x1b[2J\\x9b2J\\u202eevil\\u2066x\\x0d');
    expect(why.stdout.split('\n').filter((line) => line.startsWith('  '))).toHaveLength(2);

    const json = await cli('why', 'evil-pkg', '--json');
    expect(json.code, json.stderr).toBe(0);
    expect(json.stdout).not.toMatch(RAW_CONTROL);
    // Still JSON, and the same strings once parsed.
    const parsed = JSON.parse(json.stdout) as { story: Array<{ version: string }> };
    expect(parsed.story.map((entry) => entry.version)).toEqual([HOSTILE, HOSTILE]);

    const report = await cli('report');
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toContain('failing packages:');
    expect(report.stdout).not.toMatch(RAW_CONTROL);
    expect(report.stdout).toContain('/srv/result/1.0\\x1b]0;pwned');
    const reportJson = await cli('report', '--json');
    expect(reportJson.stdout).not.toMatch(RAW_CONTROL);
    expect((JSON.parse(reportJson.stdout) as { failing: Array<{ resultRoot: string }> }).failing[0]?.resultRoot).toBe(
      `/srv/result/${HOSTILE}`,
    );
  }, 60_000);

  test('error messages quoting a hostile argument are escaped too: usage errors and commander errors', async () => {
    const setup = await createCliSetup();
    setups.push(setup);
    const since = await runCli(['report', '--since', `7d${HOSTILE}`, '--config', setup.configFile], { env: setup.env });
    expect(since.code).toBe(2);
    expect(since.stderr).toContain('--since expects a duration');
    expect(since.stderr).not.toMatch(RAW_CONTROL);

    const unknown = await runCli([`status${HOSTILE}`], { env: setup.env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command');
    expect(unknown.stderr).not.toMatch(RAW_CONTROL);
    expect(unknown.stderr).toContain('\\x1b]0;pwned');
  }, 60_000);
});
