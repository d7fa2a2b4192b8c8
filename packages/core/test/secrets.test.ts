// Secrets stay where they belong. The AI key reaches `submit` only through the rendered 0600 job
// yaml: not argv, not a log line, not Redis, not a batch log. The farm account token that `submit`
// prints when it refuses an account reaches no log, no batch log and no Redis value (a job's
// failedReason and stacktrace included).

import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { batchIdFor } from '../src/batch/batch-log.js';
import { enqueueSubmits } from '../src/enqueue/enqueue-submits.js';
import { FakePypi, readSubmitCalls, dumpRedisPrefix, waitFor, createWorkerHarness, type WorkerHarness } from '@pypi-watch/test-utils';

const AI_API_KEY = `sk-ai-${randomBytes(12).toString('hex')}`;
const ACCOUNT_TOKEN = `tok-${randomBytes(12).toString('hex')}`;

type Harness = WorkerHarness;

const AI_BASE_URL = `https://repair:pw-${randomBytes(8).toString('hex')}@ai.example.org/v1`;
const AI_MODEL = `repair-model-${randomBytes(6).toString('hex')}`;

const ENV_KEYS = ['AI_API_KEY', 'AI_BASE_URL', 'AI_MODEL', 'HOME'] as const;
const savedEnv = Object.fromEntries(ENV_KEYS.map((key) => [key, process.env[key]]));
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  for (const key of ENV_KEYS) {
    if (savedEnv[key] === undefined) delete process.env[key];
    else process.env[key] = savedEnv[key];
  }
});

/** Workers as a deployment runs them: the AI variables in the process environment and in the config. */
async function harness(
  overrides: Record<string, unknown>,
  queues: Array<'poll' | 'submit'>,
  standin: Record<string, string> = {},
): Promise<Harness> {
  const env = { AI_API_KEY, AI_BASE_URL, AI_MODEL };
  Object.assign(process.env, env);
  const h = await createWorkerHarness(overrides, { env, queues, submitEnv: standin });
  cleanups.push(() => h.close());
  return h;
}

/** The stand-in's settings for a farm that refuses the account, printing its token in `format`. */
function refusedAccount(format: string, token = ACCOUNT_TOKEN): Record<string, string> {
  return { STANDIN_SUBMIT_MODE: 'account', STANDIN_SUBMIT_TOKEN: token, STANDIN_SUBMIT_TOKEN_FORMAT: format };
}

/** Queues one release and returns its batch id once the job failed or completed. */
async function submitOne(h: Harness, name: string): Promise<string> {
  const batchId = batchIdFor(new Date());
  await enqueueSubmits({
    queue: h.runtime.queues.submit,
    releases: [{ name, normalized: name, version: '1.0' }],
    targets: h.setup.config.submit.targets,
    batchId,
    origin: 'enqueue',
  });
  const queue = h.runtime.queues.submit;
  await waitFor(async () => (await queue.getFailedCount()) + (await queue.getCompletedCount()) >= 1, { what: 'the submit to finish' });
  return batchId;
}

/** Path → content of every file under `dir`. */
async function readTree(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(path, await readFile(path, 'utf8'));
  }
  return files;
}

/** Where `secret` was found: log lines, Redis keys or values, job fields, files; empty when nowhere. */
async function findSecret(h: Harness, secret: string, allowedFiles: (path: string) => boolean = () => false): Promise<string[]> {
  const found: string[] = [];
  if (h.logs.text().includes(secret)) found.push('log lines');
  for (const [key, value] of await dumpRedisPrefix(h.setup.prefix)) {
    if (key.includes(secret) || value.includes(secret)) found.push(`redis ${key}`);
  }
  for (const queue of h.runtime.queues.all) {
    for (const job of await queue.getJobs(['completed', 'failed', 'active', 'waiting', 'delayed', 'prioritized'])) {
      const fields = JSON.stringify({
        data: job.data,
        returnvalue: job.returnvalue,
        failedReason: job.failedReason,
        stacktrace: job.stacktrace,
        opts: job.opts,
      });
      if (fields.includes(secret)) found.push(`job ${queue.name}/${job.id}`);
    }
  }
  for (const [path, content] of await readTree(h.setup.dir)) {
    if (content.includes(secret) && !allowedFiles(path)) found.push(`file ${path}`);
  }
  return found;
}

describe('the AI API key', () => {
  test('poll → submit: it is in the 0600 rendered job yaml and nowhere else', async () => {
    const pypi = new FakePypi();
    const baseUrl = await pypi.start();
    cleanups.push(() => pypi.stop());
    const h = await harness({ source: { type: 'changelog', baseUrl, pagePause: 0 }, log: { level: 'trace' } }, ['poll', 'submit']);

    await h.runtime.queues.poll.add('poll', {});
    await waitFor(async () => (await h.runtime.queues.poll.getCompletedCount()) >= 1, { what: 'the first poll' });
    const published = pypi.publishGenerated(12);
    await h.runtime.queues.poll.add('poll', {});
    await waitFor(async () => (await h.runtime.queues.submit.getCompletedCount()) >= published.length, { what: 'the submits' });

    const calls = await readSubmitCalls(h.recordFile);
    expect(calls).toHaveLength(published.length);
    const rendered = calls[0]?.argv[0] ?? '';
    expect(rendered).toMatch(/\/rendered\/update-pypi\.[0-9a-f]+\.yaml$/);
    expect((await stat(rendered)).mode & 0o777).toBe(0o600);
    expect((await stat(join(rendered, '..'))).mode & 0o077).toBe(0);
    expect(await readFile(rendered, 'utf8')).toContain(`api_key: ${AI_API_KEY}`);
    // Not on any command line.
    expect(JSON.stringify(calls)).not.toContain(AI_API_KEY);
    // Nor in submit's environment: the worker process has it, but submit reads it from the job yaml only.
    expect(calls.flatMap((call) => (call as { secretEnv?: string[] }).secretEnv ?? [])).not.toContain('AI_API_KEY');

    expect(await findSecret(h, AI_API_KEY, (path) => path === rendered)).toEqual([]);
    // (control) the same search does find what is there: Redis, jobs, batch logs, update list, log lines.
    const found = await findSecret(h, published[0]?.name ?? '');
    expect(found).toContain('log lines');
    expect(found.some((where) => where.startsWith('redis '))).toBe(true);
    expect(found.some((where) => where.startsWith('job submit/'))).toBe(true);
    expect(found.some((where) => where.includes('submit-succ-list'))).toBe(true);
    // The job yaml's file name is a hash of its content: too short to say anything about the key.
    expect(rendered).not.toContain(AI_API_KEY.slice(-12));
  });
});

describe('the farm account token', () => {
  test.each([
    ['my_token: TOKEN', 'colon'],
    ['my_token=TOKEN', 'equals'],
  ])('printed as `%s` on a refused account: in no log, no batch log, no Redis value', async (_shape, format) => {
    const h = await harness({ submit: { attempts: 3, backoff: '50ms' } }, ['submit'], refusedAccount(format));
    const batchId = await submitOne(h, 'refused-pkg');

    const batchDir = join(h.setup.config.paths.logDir, batchId);
    const submitLog = await readFile(join(batchDir, 'submit-log'), 'utf8');
    expect(submitLog).toContain('Failed to verify the account.');
    expect(submitLog).toContain('my_email');
    expect(await readFile(join(batchDir, 'submit-fail-list'), 'utf8')).toMatch(/^refused-pkg {2}.*Failed to verify the account/);
    const [job] = await h.runtime.queues.submit.getJobs(['failed']);
    expect(job?.failedReason).toContain('Failed to verify the account');
    expect(job?.stacktrace?.length ?? 0).toBeGreaterThan(0);

    expect(await findSecret(h, ACCOUNT_TOKEN)).toEqual([]);
    // (control) the same search does find what is there.
    expect(await findSecret(h, 'refused-pkg')).not.toEqual([]);
  });

  test('printed with no key naming it: caught by value from the account file', async () => {
    // The account file submit reads; the runner learns the token from it, so it is redacted however printed.
    const home = await mkdtemp(join(tmpdir(), 'pypi-watch-home-'));
    cleanups.push(() => rm(home, { recursive: true, force: true }));
    await mkdir(join(home, '.config/compass-ci/defaults'), { recursive: true });
    await writeFile(join(home, '.config/compass-ci/defaults/account.yaml'), `my_email: a@example.org\nmy_token: ${ACCOUNT_TOKEN}\n`);
    process.env.HOME = home;
    const h = await harness({ submit: { attempts: 1 } }, ['submit'], refusedAccount('inline'));
    const batchId = await submitOne(h, 'inline-pkg');
    expect(await readFile(join(h.setup.config.paths.logDir, batchId, 'submit-log'), 'utf8')).toContain('debug: sent token [REDACTED]');
    expect(await findSecret(h, ACCOUNT_TOKEN)).toEqual([]);
  });
});

describe('the AI base URL and model (a URL can carry credentials)', () => {
  test('echoed back by a refusing farm: in no log, no batch log, no Redis value, no job', async () => {
    const h = await harness({ submit: { attempts: 1 } }, ['submit'], {
      STANDIN_SUBMIT_MODE: 'refuse',
      STANDIN_SUBMIT_ERROR: `AI repair at ${AI_BASE_URL} (model ${AI_MODEL}) is unreachable`,
    });
    const batchId = await submitOne(h, 'echo-pkg');
    expect(await h.runtime.queues.submit.getFailedCount()).toBe(1);
    const failList = await readFile(join(h.setup.config.paths.logDir, batchId, 'submit-fail-list'), 'utf8');
    expect(failList).toContain('AI repair at [REDACTED] (model [REDACTED]) is unreachable');

    const rendered = (await readSubmitCalls(h.recordFile))[0]?.argv[0] ?? '';
    for (const secret of [AI_BASE_URL, AI_MODEL]) {
      expect(await findSecret(h, secret, (path) => path === rendered)).toEqual([]);
    }
    // (control) the rendered job yaml, the one place they belong, has them.
    expect(await readFile(rendered, 'utf8')).toContain(AI_MODEL);
  });
});

describe('an account token of 0', () => {
  test('the refused account stays a failure, and its token line is stored redacted', async () => {
    const home = await mkdtemp(join(tmpdir(), 'pypi-watch-home-'));
    cleanups.push(() => rm(home, { recursive: true, force: true }));
    await mkdir(join(home, '.config/compass-ci/defaults'), { recursive: true });
    await writeFile(join(home, '.config/compass-ci/defaults/account.yaml'), 'my_email: zero@example.org\nmy_token: 0\n');
    process.env.HOME = home;
    const h = await harness({ submit: { attempts: 1 } }, ['submit'], refusedAccount('colon', '0'));
    const batchId = await submitOne(h, 'zero-token-pkg');

    expect(await h.runtime.queues.submit.getCompletedCount()).toBe(0);
    expect(await h.runtime.queues.submit.getFailedCount()).toBe(1);
    const batchDir = join(h.setup.config.paths.logDir, batchId);
    expect(await readFile(join(batchDir, 'submit-fail-list'), 'utf8')).toMatch(/^zero-token-pkg {2}.*Failed to verify the account/);
    await expect(stat(join(batchDir, 'submit-succ-list'))).rejects.toThrow(/ENOENT/);
    const submitLog = await readFile(join(batchDir, 'submit-log'), 'utf8');
    expect(submitLog).toContain('got job id=0, error: Failed to verify the account.');
    expect(submitLog).toContain('my_token: [REDACTED]');
    for (const printed of ['my_token: 0', 'zero@example.org']) {
      expect(await findSecret(h, printed)).toEqual([]);
    }
  });
});
