// A job names a configured target; only config becomes farm arguments, whatever a job's data says.

import { afterEach, describe, expect, test } from 'vitest';
import { batchIdFor } from '../src/batch/batch-log.js';
import { SUBMIT_JOB_NAME } from '../src/submit/submit-job.js';
import { SubmitTargets, targetId } from '../src/submit/submit-targets.js';
import { readSubmitCalls, waitFor, createWorkerHarness, type WorkerHarness } from '@pypi-watch/test-utils';

const harnesses: WorkerHarness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});

async function harness(): Promise<WorkerHarness> {
  const h = await createWorkerHarness({ submit: { targets: [{ os_arch: 'aarch64', testbox: 'vm-2p8g' }] } });
  harnesses.push(h);
  return h;
}

/** Adds a job as anyone with Redis access (or the dashboard's "add job") could. */
async function inject(h: WorkerHarness, id: string, data: Record<string, unknown>): Promise<void> {
  await h.runtime.queues.submit.add(
    SUBMIT_JOB_NAME,
    { name: 'requests', version: '2.0', batchId: batchIdFor(new Date()), origin: 'enqueue', ...data },
    { jobId: id, attempts: 1 },
  );
}

async function finalState(h: WorkerHarness, id: string): Promise<{ state: string; reason: string | undefined }> {
  let state = '';
  await waitFor(async () => ['completed', 'failed'].includes((state = await h.runtime.queues.submit.getJobState(id))), {
    what: `job ${id} settled`,
  });
  return { state, reason: (await h.runtime.queues.submit.getJob(id))?.failedReason };
}

describe('submit job targets', () => {
  test('a job carrying scheduler or secret keys in its target never reaches submit', async () => {
    const h = await harness();
    await inject(h, 'forged-sched', { target: { os_arch: 'aarch64', testbox: 'vm-2p8g', SCHED_HOST: 'evil.example', SCHED_PORT: '80' } });
    await inject(h, 'forged-ai', { target: { os_arch: 'aarch64', testbox: 'vm-2p8g', base_url: 'https://evil.example/v1' } });
    await inject(h, 'unknown-id', { target: 'os_arch=x86_64,testbox=vm-2p8g' });
    for (const id of ['forged-sched', 'forged-ai', 'unknown-id']) {
      expect(await finalState(h, id)).toEqual({ state: 'failed', reason: expect.stringMatching(/names no target of submit\.targets/) });
    }
    expect(await readSubmitCalls(h.recordFile)).toEqual([]);
  });

  test('a configured target, by id or (jobs from before ids) as an equal map, runs with config arguments only', async () => {
    const h = await harness();
    await inject(h, 'by-id', { target: 'os_arch=aarch64,testbox=vm-2p8g' });
    await inject(h, 'legacy-map', { name: 'numpy', target: { os_arch: 'aarch64', testbox: 'vm-2p8g' } });
    expect((await finalState(h, 'by-id')).state).toBe('completed');
    expect((await finalState(h, 'legacy-map')).state).toBe('completed');
    const calls = await readSubmitCalls(h.recordFile);
    expect(calls.map((call) => call.argv.slice(1))).toEqual(
      expect.arrayContaining([
        ['repo_addr=requests', 'os_arch=aarch64', 'testbox=vm-2p8g', 'check_rpm_install=yes'],
        ['repo_addr=numpy', 'os_arch=aarch64', 'testbox=vm-2p8g', 'check_rpm_install=yes'],
      ]),
    );
  });

  test('a job whose version is not PEP 440 is refused before anything runs', async () => {
    const h = await harness();
    await inject(h, 'bad-version', { version: '\u001b[2J', target: 'os_arch=aarch64,testbox=vm-2p8g' });
    expect(await finalState(h, 'bad-version')).toEqual({ state: 'failed', reason: expect.stringMatching(/invalid submit job data/) });
    expect(await readSubmitCalls(h.recordFile)).toEqual([]);
  });
});

describe('target ids', () => {
  test('cannot collide: a value holding `,` or `=` differs from two keys', () => {
    const a = targetId({ testbox: 'vm,x=y' });
    const b = targetId({ testbox: 'vm', x: 'y' });
    expect(a).not.toBe(b);
    const targets = new SubmitTargets([{ testbox: 'vm,x=y' }, { testbox: 'vm', x: 'y' }]);
    expect(targets.resolve(a)?.args).toEqual({ testbox: 'vm,x=y' });
    expect(targets.resolve(b)?.args).toEqual({ testbox: 'vm', x: 'y' });
  });

  test('plain targets keep the ids jobs always had', () => {
    expect(targetId({ os_arch: 'aarch64', testbox: 'vm-2p8g' })).toBe('os_arch=aarch64,testbox=vm-2p8g');
  });
});
