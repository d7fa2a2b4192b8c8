// The farm's `submit` misbehaving under a real submit worker: missing, not executable, hanging past
// its timeout, printing garbage, exiting non-zero. Each failure lands in submit-fail-list and the log
// with a reason that says what happened, and the worker goes on serving the other jobs.

import { readFileSync } from 'node:fs';
import { chmod, copyFile, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { batchIdFor } from '../src/batch/batch-log.js';
import { enqueueSubmits } from '../src/enqueue/enqueue-submits.js';
import { normalizeProjectName } from '../src/release/project-name.js';
import { readSubmitCalls, STANDIN_SUBMIT, waitFor, createWorkerHarness, type WorkerHarness } from '@pypi-watch/test-utils';

type Harness = WorkerHarness;

const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});

async function harness(overrides: Parameters<typeof createWorkerHarness>[0]): Promise<Harness> {
  const h = await createWorkerHarness(overrides);
  harnesses.push(h);
  return h;
}

async function enqueue(h: Harness, names: string[]): Promise<string> {
  const batchId = batchIdFor(new Date());
  await enqueueSubmits({
    queue: h.runtime.queues.submit,
    releases: names.map((name) => ({ name, normalized: normalizeProjectName(name), version: '1.0' })),
    targets: h.setup.config.submit.targets,
    batchId,
    origin: 'enqueue',
  });
  return batchId;
}

async function settled(h: Harness, expected: number, timeoutMs = 20_000): Promise<void> {
  await waitFor(async () => (await h.runtime.queues.submit.getJobCountByTypes('completed', 'failed')) >= expected, {
    timeoutMs,
    what: `${expected} settled submit jobs`,
  });
}

async function batchFile(h: Harness, batchId: string, file: string): Promise<string> {
  return readFile(join(h.setup.config.paths.logDir, batchId, file), 'utf8').catch(() => '');
}

/** `NAME  REASON` lines of the fail list, by name. */
function failReasons(text: string): Map<string, string> {
  return new Map(
    text
      .split('\n')
      .filter(Boolean)
      .map((line) => [line.slice(0, line.indexOf('  ')), line.slice(line.indexOf('  ') + 2)] as const),
  );
}

/** Alive and not a zombie (a container's PID 1 may never reap the orphans it inherits). */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

function failedForGood(h: Harness): Array<Record<string, unknown>> {
  return h.logs.lines.filter((line) => line.msg === 'submit failed for good');
}

describe('a broken submit command', () => {
  test('missing from PATH: every job fails as not-found naming the command and PATH; the worker keeps taking jobs', async () => {
    const h = await harness({ submit: { command: 'pypi-watch-no-such-submit', attempts: 2, backoff: '50ms' } });
    // Said once at start-up, before any job.
    expect(h.logs.lines.some((line) => line.level === 40 && String(line.msg).includes('not an executable on PATH'))).toBe(true);
    const batchId = await enqueue(h, ['first-pkg', 'second-pkg']);
    await settled(h, 2);
    const reasons = failReasons(await batchFile(h, batchId, 'submit-fail-list'));
    expect([...reasons.keys()].sort()).toEqual(['first-pkg', 'second-pkg']);
    for (const reason of reasons.values()) expect(reason).toMatch(/^submit command "pypi-watch-no-such-submit" not found .*PATH=/);
    expect(failedForGood(h).map((line) => line.kind)).toEqual(['not-found', 'not-found']);

    // Still serving: a later job is taken and settled too.
    const later = await enqueue(h, ['third-pkg']);
    await settled(h, 3);
    expect(failReasons(await batchFile(h, later, 'submit-fail-list')).has('third-pkg')).toBe(true);
    expect(h.workers.workers.every((worker) => worker.isRunning())).toBe(true);
  });

  test('not executable: fails as not-executable (EACCES), attempts retried then listed once', async () => {
    const h = await harness((dir) => ({ submit: { command: join(dir, 'submit-noexec'), attempts: 2, backoff: '50ms' } }));
    const command = h.setup.config.submit.command;
    await copyFile(STANDIN_SUBMIT, command);
    await chmod(command, 0o644);
    const batchId = await enqueue(h, ['noexec-pkg']);
    await settled(h, 1);
    const failList = await batchFile(h, batchId, 'submit-fail-list');
    expect(failList.trim().split('\n')).toHaveLength(1);
    expect(failReasons(failList).get('noexec-pkg')).toMatch(/is not executable \(EACCES\)/);
    const log = await batchFile(h, batchId, 'submit-log');
    expect(log.match(/==> .* noexec-pkg attempt \d/g)).toHaveLength(2);
    expect(failedForGood(h)[0]).toMatchObject({ kind: 'not-executable', finalAttempt: true });
  });
});

describe('a misbehaving submit among good ones', () => {
  test('hang, garbage and non-zero exit each get a clear reason; the good jobs in the same batch are submitted', async () => {
    const h = await harness({ submit: { attempts: 1, timeout: '600ms', concurrency: 2 } });
    const good = ['good-a', 'good-b', 'good-c', 'good-d'];
    const bad = ['hang-pkg', 'garbage-pkg', 'exit-pkg'];
    const batchId = await enqueue(h, ['good-a', 'hang-pkg', 'good-b', 'garbage-pkg', 'good-c', 'exit-pkg', 'good-d']);
    await settled(h, good.length + bad.length);

    const succ = (await batchFile(h, batchId, 'submit-succ-list'))
      .trim()
      .split('\n')
      .map((line) => line.split('  ')[0]);
    expect(succ.sort()).toEqual(good);
    const reasons = failReasons(await batchFile(h, batchId, 'submit-fail-list'));
    expect([...reasons.keys()].sort()).toEqual([...bad].sort());
    expect(reasons.get('hang-pkg')).toMatch(/^submit did not finish within 600 ?ms; its process group was killed/);
    expect(reasons.get('garbage-pkg')).toMatch(/^submit exited 0 without a job id/);
    expect(reasons.get('exit-pkg')).toMatch(/^submit exited with code 3: Please configure SCHED_HOST and SCHED_PORT first/);
    // One line each, however wild the output.
    for (const reason of reasons.values()) expect(reason.length).toBeLessThanOrEqual(1000);

    const kinds = Object.fromEntries(failedForGood(h).map((line) => [(line.release as { name: string }).name, line.kind]));
    expect(kinds).toEqual({ 'hang-pkg': 'timeout', 'garbage-pkg': 'no-job-id', 'exit-pkg': 'exit' });

    // The hung submit's grandchild (`sleep 300` in its process group) is gone too.
    const hang = (await readSubmitCalls(h.recordFile)).find((call) => call.argv.includes('repo_addr=hang-pkg')) as
      { childPid?: number } | undefined;
    expect(hang?.childPid).toBeDefined();
    expect(isRunning(hang?.childPid ?? 0)).toBe(false);

    // 300 kB of garbage is kept bounded in the submit-log, as one record with no raw control bytes.
    const logPath = join(h.setup.config.paths.logDir, batchId, 'submit-log');
    expect((await stat(logPath)).size).toBeLessThan(200_000);
    const log = await readFile(logPath, 'utf8');
    expect(log).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(await readdir(join(h.setup.config.paths.logDir, batchId))).toEqual(
      expect.arrayContaining(['submit-log', 'submit-succ-list', 'submit-fail-list', 'result_root_list']),
    );
    expect(h.workers.workers.every((worker) => worker.isRunning())).toBe(true);
  });

  test('a hanging submit holds only its own slot: the other slot keeps submitting meanwhile', async () => {
    const h = await harness({ submit: { attempts: 1, timeout: '3s', concurrency: 2 } });
    const names = ['hang-slot', ...Array.from({ length: 6 }, (_, i) => `quick-${i}`)];
    const batchId = await enqueue(h, names);
    // All six quick ones finish while the hang is still running.
    await waitFor(async () => (await h.runtime.queues.submit.getCompletedCount()) >= 6, { timeoutMs: 2500, what: 'the quick submits' });
    expect(await h.runtime.queues.submit.getJobState(`hang-slot|1.0|os_arch=aarch64,testbox=vm-2p8g`)).toBe('active');
    await settled(h, names.length);
    expect(failReasons(await batchFile(h, batchId, 'submit-fail-list')).get('hang-slot')).toMatch(/did not finish within 3000 ?ms/);
  });
});
