import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readFile, readlink, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { SubmitFailedError } from '../src/errors.js';
import { hostFolderPrefix, pruneStaleSubmitHomes } from '../src/submit/submit-homes.js';
import { SubmitRunner, type SubmitRunnerOptions } from '../src/submit/submit-runner.js';

const STAND_IN = resolve(import.meta.dirname, 'fixtures/bin/submit');

interface CallRecord {
  readonly argv: string[];
  readonly pid: number;
  readonly home: string;
  readonly mode: string;
  readonly childPid?: number;
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Setup {
  readonly dir: string;
  readonly jobYaml: string;
  readonly realHome: string;
  readonly homeRoot: string;
  readonly recordFile: string;
  runner(options?: Partial<SubmitRunnerOptions> & { env?: Record<string, string> }): SubmitRunner;
  records(): Promise<CallRecord[]>;
}

async function setup(): Promise<Setup> {
  const dir = await mkdtemp(join(tmpdir(), 'pypi-watch-runner-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const jobYaml = join(dir, 'update-pypi.0123456789ab.yaml');
  await writeFile(jobYaml, 'suite: rpmbuild-python-update\n', { mode: 0o600 });
  const realHome = join(dir, 'real-home');
  await mkdir(join(realHome, '.config/compass-ci/defaults'), { recursive: true });
  await writeFile(
    join(realHome, '.config/compass-ci/defaults/account.yaml'),
    'my_email: a@example.org\nmy_token: tok-from-account-file-42\n',
  );
  const homeRoot = join(dir, 'homes');
  const recordFile = join(dir, 'calls.jsonl');
  return {
    dir,
    jobYaml,
    realHome,
    homeRoot,
    recordFile,
    runner(options = {}) {
      const runner = new SubmitRunner({
        command: STAND_IN,
        homeRoot,
        realHome,
        secrets: [],
        concurrency: 1,
        timeoutMs: 30_000,
        killGraceMs: 200,
        ...options,
        env: { STANDIN_SUBMIT_RECORD: recordFile, ...options.env },
      });
      cleanups.push(() => runner.close());
      return runner;
    },
    async records() {
      const text = await readFile(recordFile, 'utf8').catch(() => '');
      return text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as CallRecord);
    },
  };
}

async function failure(promise: Promise<unknown>): Promise<SubmitFailedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SubmitFailedError);
  return error as SubmitFailedError;
}

/** Asserts that the stand-in's child process ends (killed with its group); kills it after the test if not. */
async function expectGone(pid: number | undefined): Promise<void> {
  expect(pid).toBeTypeOf('number');
  if (pid === undefined) return;
  cleanups.push(() => {
    if (!isGone(pid)) process.kill(pid, 'SIGKILL');
  });
  // Reaping by the new parent is asynchronous; bounded wait, no timing assertion.
  for (let i = 0; i < 250 && !isGone(pid); i += 1) await new Promise((r) => setTimeout(r, 20));
  expect(isGone(pid)).toBe(true);
}

function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  // A zombie still answers kill(0) until its new parent reaps it; it runs nothing.
  return /\)\s+Z\s/.test(safeRead(`/proc/${pid}/stat`));
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

describe('SubmitRunner', () => {
  test('runs submit with argv and its own HOME, and returns the job id', async () => {
    const s = await setup();
    const runner = s.runner();
    const args = [s.jobYaml, 'repo_addr=requests', 'os_arch=aarch64'];

    const outcome = await runner.run(args);

    expect(outcome.ok).toBe(true);
    expect(outcome.jobId).toMatch(/^crystal\.\d+$/);
    expect(outcome.submitId).toMatch(/^[0-9a-f-]{36}$/);
    expect(outcome.resultRoot).toMatch(/^\/srv\/result\/rpmbuild-python-update\/.+\/requests\/\d+$/);
    expect(outcome.command).toEqual([STAND_IN, ...args]);
    expect(outcome.output).toContain(`got job id=${outcome.jobId}`);
    const [call] = await s.records();
    expect(call?.argv).toEqual(args);
    const slotHome = join(s.homeRoot, `${hostFolderPrefix(hostname())}-${process.pid}`, 'slot-0');
    expect(call?.home).toBe(slotHome);
    expect((await lstat(join(slotHome, '.config'))).isSymbolicLink()).toBe(true);
    expect(await readlink(join(slotHome, '.config'))).toBe(join(s.realHome, '.config'));
    expect((await lstat(join(slotHome, '.cache'))).isDirectory()).toBe(true);
  });

  test('the account config is found through the slot .config link', async () => {
    const s = await setup();
    const outcome = await s.runner({ env: { STANDIN_SUBMIT_REQUIRE_ACCOUNT: '1' } }).run([s.jobYaml, 'repo_addr=requests']);
    expect(outcome.jobId).toMatch(/^crystal\./);
  });

  test('concurrent runs get distinct HOMEs, never more than the pool size', async () => {
    const s = await setup();
    const runner = s.runner({ concurrency: 3, env: { STANDIN_SUBMIT_DELAY_MS: '150' } });

    // The stand-in fails when two calls pack into one HOME at once, so all succeeding is the proof.
    const outcomes = await Promise.all(Array.from({ length: 7 }, (_, i) => runner.run([s.jobYaml, `repo_addr=pkg${i}`])));

    expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
    const homes = new Set((await s.records()).map((call) => call.home));
    expect(homes.size).toBeGreaterThan(1);
    expect(homes.size).toBeLessThanOrEqual(3);
    for (const home of homes) expect(home).toMatch(/\/slot-[012]$/);
  });

  test('(control) the stand-in does detect two submits sharing one HOME', async () => {
    const s = await setup();
    const env = { HOME: join(s.dir, 'shared-home'), STANDIN_SUBMIT_DELAY_MS: '300' };
    const results = await Promise.all([1, 2].map((i) => execa(STAND_IN, [s.jobYaml, `repo_addr=p${i}`], { env, reject: false })));
    expect(results.map((r) => r.exitCode).sort()).toEqual([0, 1]);
  });

  test('a timeout kills the whole process group, grandchild included', async () => {
    const s = await setup();
    const runner = s.runner({ timeoutMs: 300, killGraceMs: 200 });

    const error = await failure(runner.run([s.jobYaml, 'repo_addr=hang-me']));

    expect(error.kind).toBe('timeout');
    expect(error.reason).toContain('300 ms');
    const [call] = await s.records();
    await expectGone(call?.childPid);
    expect(isGone(call?.pid ?? 0)).toBe(true);
  });

  test('a submit that exits but leaves a child holding its output succeeds; the child is killed', async () => {
    const s = await setup();
    // The default 30 s timeout: the child must go after the grace period, not at the timeout.
    const runner = s.runner({ killGraceMs: 100, env: { STANDIN_SUBMIT_LEAVE_CHILD: '1' } });
    const outcome = await runner.run([s.jobYaml, 'repo_addr=requests']);
    expect(outcome.jobId).toMatch(/^crystal\./);
    await expectGone((await s.records())[0]?.childPid);
  });

  test('a submit ignoring SIGTERM gets SIGKILL after the grace period', async () => {
    const s = await setup();
    const runner = s.runner({ timeoutMs: 300, killGraceMs: 100, env: { STANDIN_SUBMIT_MODE: 'hang', STANDIN_SUBMIT_IGNORE_TERM: '1' } });
    const error = await failure(runner.run([s.jobYaml, 'repo_addr=stubborn']));
    expect(error.kind).toBe('timeout');
    expect(error.signal).toBe('SIGKILL');
  });

  test('a missing command fails as not-found, naming the command and PATH', async () => {
    const s = await setup();
    const runner = s.runner({ command: 'pypi-watch-no-such-submit', env: { PATH: '/nonexistent/bin' } });
    const error = await failure(runner.run([s.jobYaml, 'repo_addr=requests']));
    expect(error.kind).toBe('not-found');
    expect(error.reason).toContain('pypi-watch-no-such-submit');
    expect(error.reason).toContain('PATH=/nonexistent/bin');
  });

  test('a command without the execute bit fails as not-executable', async () => {
    const s = await setup();
    const script = join(s.dir, 'submit-noexec');
    await writeFile(script, '#!/bin/sh\necho hi\n', { mode: 0o644 });
    const error = await failure(s.runner({ command: script }).run([s.jobYaml, 'repo_addr=requests']));
    expect(error.kind).toBe('not-executable');
    expect(error.reason).toContain(script);
  });

  test('a non-zero exit fails as exit, with the code and the last line', async () => {
    const s = await setup();
    const error = await failure(s.runner().run([s.jobYaml, 'repo_addr=exit-now']));
    expect(error.kind).toBe('exit');
    expect(error.exitCode).toBe(3);
    expect(error.reason).toBe('submit exited with code 3: Please configure SCHED_HOST and SCHED_PORT first (RuntimeError)');
  });

  test('a missing job file fails like the real submit does', async () => {
    const s = await setup();
    const error = await failure(s.runner().run([join(s.dir, 'missing.yaml'), 'repo_addr=requests']));
    expect(error.kind).toBe('exit');
    expect(error.reason).toContain('No such file or directory');
  });

  test('got job id=0 on exit 0 fails as refused, with the farm message', async () => {
    const s = await setup();
    const runner = s.runner({ env: { STANDIN_SUBMIT_ERROR: 'Invalid os_arch: sparc' } });
    const error = await failure(runner.run([s.jobYaml, 'repo_addr=fail-this']));
    expect(error.kind).toBe('refused');
    expect(error.reason).toBe('the farm refused the job: Invalid os_arch: sparc');
    expect(error.accountRefused).toBe(false);
  });

  test('an account refusal never lets the token or the secrets out', async () => {
    const s = await setup();
    const token = 'f00dfeedcafe0123456789abcdef';
    const runner = s.runner({ secrets: ['sk-ai-key-999'], env: { STANDIN_SUBMIT_MODE: 'account', STANDIN_SUBMIT_TOKEN: token } });
    const error = await failure(runner.run([s.jobYaml, 'repo_addr=requests']));
    expect(error.kind).toBe('refused');
    expect(error.accountRefused).toBe(true);
    expect(error.output).toContain('my_token: [REDACTED]');
    // The other account values it prints with the token are the account's too.
    expect(error.output).toContain('my_email: [REDACTED]');
    expect(error.output).not.toContain('stand-in@example.org');
    expect(JSON.stringify(error)).not.toContain(token);
    expect(error.message).not.toContain(token);
  });

  test('secrets and the account file token are redacted wherever submit prints them', async () => {
    const s = await setup();
    const runner = s.runner({
      secrets: ['sk-ai-key-999'],
      env: { STANDIN_SUBMIT_ERROR: 'bad key sk-ai-key-999 for account tok-from-account-file-42' },
    });
    const error = await failure(runner.run([s.jobYaml, 'repo_addr=fail-x']));
    expect(error.reason).toBe('the farm refused the job: bad key [REDACTED] for account [REDACTED]');
    expect(error.output).not.toContain('sk-ai-key-999');
    expect(error.output).not.toContain('tok-from-account-file-42');
  });

  test('a token renewed between two submits of one runner is redacted from the next one', async () => {
    const s = await setup();
    // submit prints the token it read from the account file, with no key to find it by.
    const runner = s.runner({
      env: { STANDIN_SUBMIT_MODE: 'account', STANDIN_SUBMIT_TOKEN: '@account', STANDIN_SUBMIT_TOKEN_FORMAT: 'inline' },
    });
    const first = await failure(runner.run([s.jobYaml, 'repo_addr=requests']));
    expect(first.output).toContain('debug: sent token [REDACTED] for account stand-in');
    // Same size, and most likely the same mtime: only the content, ctime or inode tell the files apart.
    await writeFile(
      join(s.realHome, '.config/compass-ci/defaults/account.yaml'),
      'my_email: a@example.org\nmy_token: tok-renewed-file-0043\n',
    );
    const second = await failure(runner.run([s.jobYaml, 'repo_addr=requests']));
    expect(second.output).toContain('debug: sent token [REDACTED] for account stand-in');
    expect(second.output).not.toContain('tok-renewed-file-0043');
  });

  test('a FIFO, a symlink loop and a folder among the account files are skipped: the submit runs, the real token is still redacted', async () => {
    const s = await setup();
    const defaults = join(s.realHome, '.config/compass-ci/defaults');
    // Opening a FIFO blocks until a writer comes; read on the worker's thread, it would stop the worker.
    await execa('mkfifo', [join(defaults, 'fifo.yaml')]);
    await symlink('loop.yaml', join(defaults, 'loop.yaml'));
    await mkdir(join(defaults, 'folder.yaml'));
    const runner = s.runner({ env: { STANDIN_SUBMIT_ERROR: 'bad account tok-from-account-file-42' } });
    const error = await failure(runner.run([s.jobYaml, 'repo_addr=fail-x']));
    expect(error.reason).toBe('the farm refused the job: bad account [REDACTED]');
  });

  test('onSpawned gets the time the process began, once, and not for a command that never started', async () => {
    const s = await setup();
    const spawned: number[] = [];
    const before = performance.now();
    await s.runner().run([s.jobYaml, 'repo_addr=requests'], { onSpawned: (at) => spawned.push(at) });
    expect(spawned).toHaveLength(1);
    expect(spawned[0]).toBeGreaterThan(before);
    expect(spawned[0]).toBeLessThan(performance.now());
    const missing = s.runner({ command: join(s.dir, 'no-such-submit') });
    await failure(missing.run([s.jobYaml, 'repo_addr=requests'], { onSpawned: (at) => spawned.push(at) }));
    expect(spawned).toHaveLength(1);
  });

  test('an account token of 0: the refusal stays a refusal, and the printed token is still redacted', async () => {
    const s = await setup();
    await writeFile(join(s.realHome, '.config/compass-ci/defaults/account.yaml'), 'my_email: a@example.org\nmy_token: 0\n');
    const runner = s.runner({ env: { STANDIN_SUBMIT_MODE: 'account', STANDIN_SUBMIT_TOKEN: '0' } });
    const error = await failure(runner.run([s.jobYaml, 'repo_addr=requests']));
    expect(error.kind).toBe('refused');
    expect(error.accountRefused).toBe(true);
    expect(error.output).toContain('got job id=0, error: Failed to verify the account.');
    expect(error.output).toContain('my_token: [REDACTED]');
    expect(error.output).not.toMatch(/my_token: 0/);
  });

  test('an account token of 0 does not rewrite the job id of a success', async () => {
    const s = await setup();
    await writeFile(join(s.realHome, '.config/compass-ci/defaults/account.yaml'), 'my_token: 0\n');
    const outcome = await s.runner({ env: { STANDIN_SUBMIT_JOB_ID: 'crystal.1000200' } }).run([s.jobYaml, 'repo_addr=requests']);
    expect(outcome.jobId).toBe('crystal.1000200');
    expect(outcome.resultRoot).toMatch(/\/requests\/1000200$/);
  });

  test("the account's name is not hunted through the output: a result path holding it stays whole", async () => {
    const s = await setup();
    await writeFile(
      join(s.realHome, '.config/compass-ci/defaults/account.yaml'),
      'my_account: test\nmy_name: test\nmy_token: tok-account-file-77\n',
    );
    const outcome = await s.runner({ env: {} }).run([s.jobYaml, 'repo_addr=pytest-check']);
    expect(outcome.resultRoot).toMatch(/\/pytest-check\/\d+$/);
  });

  test('the configured AI base URL and model are redacted from the output and the reason', async () => {
    const s = await setup();
    const baseUrl = 'https://repair:pw-5ecret@ai.example.org/v1';
    const model = 'repair-model-7';
    const runner = s.runner({
      secrets: [baseUrl, model],
      env: { STANDIN_SUBMIT_ERROR: `AI repair at ${baseUrl} with ${model} is unreachable` },
    });
    const error = await failure(runner.run([s.jobYaml, 'repo_addr=fail-x']));
    expect(error.reason).toBe('the farm refused the job: AI repair at [REDACTED] with [REDACTED] is unreachable');
    expect(JSON.stringify({ ...error, message: error.message, stack: error.stack })).not.toMatch(/pw-5ecret|repair-model-7/);
  });

  test('garbage on exit 0 fails as no-job-id, with the output bounded', async () => {
    const s = await setup();
    const error = await failure(s.runner({ env: { STANDIN_SUBMIT_GARBAGE_BYTES: '2000000' } }).run([s.jobYaml, 'repo_addr=garbage-x']));
    expect(error.kind).toBe('no-job-id');
    expect(error.reason.startsWith('submit exited 0 without a job id')).toBe(true);
    expect(error.reason.length).toBeLessThanOrEqual(300);
    expect(error.output.length).toBeLessThan(70 * 1024);
  });

  test('close() removes this process folder; run() afterwards is refused', async () => {
    const s = await setup();
    const runner = s.runner();
    await runner.run([s.jobYaml, 'repo_addr=requests']);
    expect(await readdir(s.homeRoot)).toEqual([`${hostFolderPrefix(hostname())}-${process.pid}`]);
    await runner.close();
    expect(await readdir(s.homeRoot)).toEqual([]);
    await expect(runner.run([s.jobYaml, 'repo_addr=requests'])).rejects.toThrow(/closed/);
  });

  test('rejects bad options with the option name', async () => {
    const s = await setup();
    expect(() => s.runner({ concurrency: 0 })).toThrow(/`concurrency`/);
    expect(() => s.runner({ timeoutMs: -1 })).toThrow(/`timeoutMs`/);
    expect(() => s.runner({ killGraceMs: 1.5 })).toThrow(/`killGraceMs`/);
  });
});

describe('pruneStaleSubmitHomes', () => {
  test('removes this host dead processes folders only', async () => {
    const s = await setup();
    const host = hostFolderPrefix(hostname());
    const exited = execa('true');
    const deadPid = exited.pid ?? 0;
    await exited;
    expect(deadPid).toBeGreaterThan(0);
    for (const name of [`${host}-${deadPid}`, `${host}-${process.pid}`, `other_host-${deadPid}`, `${host}-notapid`]) {
      await mkdir(join(s.homeRoot, name, 'slot-0'), { recursive: true });
    }

    const removed = await pruneStaleSubmitHomes(s.homeRoot);

    expect(removed).toEqual([join(s.homeRoot, `${host}-${deadPid}`)]);
    expect((await readdir(s.homeRoot)).sort()).toEqual([`${host}-${process.pid}`, `${host}-notapid`, `other_host-${deadPid}`].sort());
  });

  test('a missing home root is nothing to prune', async () => {
    const s = await setup();
    expect(await pruneStaleSubmitHomes(join(s.dir, 'absent'))).toEqual([]);
  });
});
