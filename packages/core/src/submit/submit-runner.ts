// Runs lkp-tests' `submit` once per call: own HOME per concurrent run, group kill on timeout, redacted output.

import { spawn, type ChildProcess } from 'node:child_process';
import { homedir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError, SubmitFailedError, SubmitRunnerClosedError, type SubmitFailureKind } from '../errors.js';
import { AccountSecrets } from './account-secrets.js';
import { GroupTimeout } from './group-timeout.js';
import { SubmitHomePool } from './submit-homes.js';
import { SecretRedactor } from '../logging/secret-redaction.js';
import { isAcceptedJobId, keepTail, lastOutputLine, MAX_KEPT_OUTPUT_CHARS, parseSubmitOutput } from './submit-output.js';

export interface SubmitRunnerOptions {
  /** The submit executable, looked up on PATH unless it has a slash. @defaultValue `'submit'` */
  readonly command?: string;
  /** How long one call may run before its process group gets SIGTERM, in ms. @defaultValue 600000 */
  readonly timeoutMs?: number;
  /** How long after SIGTERM the group gets SIGKILL, in ms. @defaultValue 5000 */
  readonly killGraceMs?: number;
  /** Folder for the per-slot HOMEs (`<homeRoot>/<hostname>-<pid>/slot-<n>`); created when missing. */
  readonly homeRoot: string;
  /** The HOME whose `.config` (the compass-ci account) every slot links to. @defaultValue `os.homedir()` */
  readonly realHome?: string;
  /** Variables added to this process's environment (as it is when the runner is made) for submit, e.g. `SCHED_HOST`, `LKP_SRC`. @defaultValue `{}` */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Variables of this process that `submit` must not inherit: pypi-watch's own secrets reach the
   * farm only through the rendered job yaml. @defaultValue WITHHELD_ENV
   */
  readonly withheldEnv?: readonly string[];
  /**
   * Configured secret values to replace with `[REDACTED]` in everything kept from a run (AI key,
   * base URL, model, …); the account's values are read from its files and found by key by themselves.
   */
  readonly secrets: readonly string[];
  /** At most this many submits run at once in this process; one HOME each. */
  readonly concurrency: number;
}

export interface SubmitOutcome {
  readonly ok: true;
  readonly jobId: string;
  readonly resultRoot?: string;
  readonly submitId?: string;
  /** What submit printed, redacted and bounded to the last 64 Ki characters. */
  readonly output: string;
  readonly durationMs: number;
  /** When the process was spawned (wall clock). */
  readonly startedAt: Date;
  /** The argv that was run, command first. */
  readonly command: readonly string[];
}

export interface RunOptions {
  /**
   * Spawn no earlier than this `performance.now()` time: the rate limit's reserved start. The wait
   * comes after the slot HOME and account are ready, so nothing but the spawn lies between the
   * reserved start and the process.
   */
  readonly startAt?: number;
  /** Awaited right before the spawn, after `startAt`: the rate limit's pacer (`StartPacer.waitForStart`). */
  readonly waitForStart?: () => Promise<void>;
  /** Called with `performance.now()` right after the process started (after exec), when it did. */
  readonly onSpawned?: (at: number) => void;
}

/** Bytes of raw output held while submit runs; the kept, redacted output is smaller still. */
/** pypi-watch's secrets and connection strings: never in a child's environment. */
export const WITHHELD_ENV = [
  'AI_API_KEY',
  'AI_BASE_URL',
  'AI_MODEL',
  'DASHBOARD_PASSWORD',
  'DASHBOARD_USER',
  'REDIS_URL',
  'PYPI_WATCH_CONFIG',
] as const;

const MAX_RAW_OUTPUT_BYTES = 512 * 1024;
const MAX_REASON_CHARS = 300;

export class SubmitRunner {
  readonly command: string;
  readonly timeoutMs: number;
  readonly killGraceMs: number;
  private readonly realHome: string;
  private readonly env: Readonly<Record<string, string>>;
  private readonly withheldEnv: ReadonlySet<string>;
  private readonly secrets: readonly string[];
  private readonly homes: SubmitHomePool;
  private readonly account: AccountSecrets;
  /** This process's environment without the withheld variables, plus `env`; HOME is set per slot. */
  private readonly baseEnv: Readonly<Record<string, string>>;
  private readonly active = new Set<Promise<unknown>>();
  private closing: Promise<void> | undefined;

  constructor(options: SubmitRunnerOptions) {
    this.command = options.command ?? 'submit';
    this.timeoutMs = options.timeoutMs ?? 600_000;
    this.killGraceMs = options.killGraceMs ?? 5_000;
    this.realHome = options.realHome ?? homedir();
    this.env = options.env ?? {};
    this.withheldEnv = new Set(options.withheldEnv ?? WITHHELD_ENV);
    this.secrets = options.secrets;
    validateOptions(this.command, this.timeoutMs, this.killGraceMs, options);
    this.homes = new SubmitHomePool({ homeRoot: options.homeRoot, realHome: this.realHome, size: options.concurrency });
    this.account = new AccountSecrets(this.realHome);
    // Once, not per submit: copying a few hundred variables per spawn was a measurable share of a submit's own work.
    this.baseEnv = { ...this.inheritedEnv(), ...this.env };
  }

  /** Runs `submit ...args`; resolves with the job id or throws `SubmitFailedError`. */
  async run(args: readonly string[], options: RunOptions = {}): Promise<SubmitOutcome> {
    if (this.closing !== undefined) throw new SubmitRunnerClosedError();
    const running = this.runInSlot(args, options);
    this.active.add(running);
    try {
      return await running;
    } finally {
      this.active.delete(running);
    }
  }

  /** Waits for running submits (each bounded by its timeout), then removes this process's HOMEs. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.active]);
      await this.homes.close();
    })();
    return this.closing;
  }

  private async runInSlot(args: readonly string[], options: RunOptions): Promise<SubmitOutcome> {
    const slot = await this.homes.acquire();
    try {
      return await this.spawn(args, slot.home, options);
    } finally {
      this.homes.release(slot);
    }
  }

  private inheritedEnv(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(process.env)) {
      if (value !== undefined && !this.withheldEnv.has(name)) env[name] = value;
    }
    return env;
  }

  private async spawn(args: readonly string[], home: string, options: RunOptions): Promise<SubmitOutcome> {
    const argv = [this.command, ...args];
    const redactor = new SecretRedactor([...this.secrets, ...this.account.current()]);
    const env = { ...this.baseEnv, HOME: home };
    const wait = (options.startAt ?? 0) - performance.now();
    if (wait >= 1) await sleep(wait);
    if (options.waitForStart) await options.waitForStart();
    const startedAt = new Date();
    const started = performance.now();
    const raw = new OutputTail(MAX_RAW_OUTPUT_BYTES);

    // node:child_process, not execa: execa costs ~16 MB of RSS in every worker and a few ms per call,
    // and nothing here needs more than a spawn, two pipes and the exit (the group timeout is ours).
    const subprocess = spawn(this.command, [...args], {
      shell: false,
      // Its own process group, so a timeout kills what submit started (ruby, git, tar) too.
      detached: true,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // spawn() returns once the child has exec'd (or failed to): this is when submit really began.
    if (subprocess.pid !== undefined) options.onSpawned?.(performance.now());
    const finished = exitOf(subprocess);
    subprocess.stdout?.on('data', (chunk: Buffer) => raw.push(chunk));
    subprocess.stderr?.on('data', (chunk: Buffer) => raw.push(chunk));

    const timeout = new GroupTimeout(subprocess, this.timeoutMs, this.killGraceMs);
    const result = await finished;
    const timedOut = await timeout.settle();

    const durationMs = Math.round(performance.now() - started);
    const rawText = raw.text();
    // Parse first: redacting a short secret (a token of `0`) could rewrite `got job id=0` itself.
    const parsed = parseSubmitOutput(rawText);
    const output = keepTail(redactor.redact(rawText), MAX_KEPT_OUTPUT_CHARS);
    const lastLine = lastOutputLine(output);
    const fail = (kind: SubmitFailureKind, reason: string, cause?: unknown): SubmitFailedError =>
      new SubmitFailedError(
        {
          kind,
          reason: oneLine(redactor.redact(reason)),
          output,
          durationMs,
          command: argv,
          ...(result.exitCode !== undefined && { exitCode: result.exitCode }),
          ...(result.signal !== undefined && { signal: result.signal }),
          accountRefused: parsed.accountRefused,
        },
        cause === undefined ? undefined : { cause },
      );

    if (timedOut) {
      throw fail(
        'timeout',
        `submit did not finish within ${this.timeoutMs} ms; its process group was ` +
          `killed${lastLine === undefined ? '' : `; last output: ${lastLine}`}`,
      );
    }
    if (result.spawnError !== undefined) {
      throw this.spawnFailure(result.spawnError.code, result.spawnError.message, fail, result.spawnError);
    }
    if (result.signal !== undefined) {
      throw fail('exit', `submit was killed by ${result.signal}${lastLine === undefined ? '' : `: ${lastLine}`}`);
    }
    if (result.exitCode !== 0) {
      throw fail('exit', `submit exited with code ${result.exitCode}${lastLine === undefined ? ' and printed nothing' : `: ${lastLine}`}`);
    }
    if (isAcceptedJobId(parsed.jobId)) {
      // These land in Redis (job return value, decisions) and the batch log: no secret in them either.
      return {
        ok: true,
        jobId: redactor.redact(parsed.jobId),
        ...(parsed.resultRoot !== undefined && { resultRoot: redactor.redact(parsed.resultRoot) }),
        ...(parsed.submitId !== undefined && { submitId: redactor.redact(parsed.submitId) }),
        output,
        durationMs,
        startedAt,
        command: argv,
      };
    }
    if (parsed.jobId !== undefined || parsed.error !== undefined) {
      throw fail(
        'refused',
        `the farm refused the job: ${parsed.error === undefined || parsed.error === '' ? `job id=${parsed.jobId ?? ''}` : parsed.error}`,
      );
    }
    throw fail(
      'no-job-id',
      `submit exited 0 without a job id${lastLine === undefined ? ' and printed nothing' : `; last output: ${lastLine}`}`,
    );
  }

  private spawnFailure(
    code: string | undefined,
    message: string | undefined,
    fail: (kind: SubmitFailureKind, reason: string, cause?: unknown) => SubmitFailedError,
    cause: unknown,
  ): SubmitFailedError {
    const path = this.env['PATH'] ?? process.env['PATH'] ?? '';
    if (code === 'ENOENT') {
      return fail('not-found', `submit command "${this.command}" not found (or its #! interpreter is missing); PATH=${path}`, cause);
    }
    if (code === 'EACCES') {
      return fail('not-executable', `submit command "${this.command}" is not executable (EACCES); PATH=${path}`, cause);
    }
    return fail('exit', `submit command "${this.command}" could not be started: ${message ?? code ?? 'unknown error'}`, cause);
  }
}

interface ExitResult {
  /** Set when the process ran and exited by itself. */
  readonly exitCode?: number;
  /** Set when the process was killed by a signal. */
  readonly signal?: NodeJS.Signals;
  /** Set when the process could not be started (ENOENT, EACCES, …). */
  readonly spawnError?: NodeJS.ErrnoException;
}

/**
 * Resolves once the process has exited and both pipes have closed ('close': its last lines are
 * read), or once it failed to start ('close' follows 'error' then too). Never rejects.
 */
function exitOf(subprocess: ChildProcess): Promise<ExitResult> {
  return new Promise((resolve) => {
    let spawnError: NodeJS.ErrnoException | undefined;
    subprocess.once('error', (error: NodeJS.ErrnoException) => {
      // Only a failed spawn leaves no pid; a later error (a failed kill) does not change the outcome.
      if (subprocess.pid === undefined) spawnError = error;
    });
    // A read error on a pipe ends its stream; the exit is still reported by 'close'.
    subprocess.stdout?.on('error', () => {});
    subprocess.stderr?.on('error', () => {});
    subprocess.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      if (spawnError !== undefined) resolve({ spawnError });
      else if (signal !== null) resolve({ signal });
      else resolve({ exitCode: code ?? 0 });
    });
  });
}

/** Keeps the newest `max` bytes of stdout and stderr, in arrival order. */
class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly max: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - (this.chunks[0]?.length ?? 0) >= this.max && this.chunks.length > 1) {
      this.size -= this.chunks.shift()?.length ?? 0;
    }
  }

  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.max)).toString('utf8');
  }
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_REASON_CHARS ? `${flat.slice(0, MAX_REASON_CHARS - 1)}…` : flat;
}

function validateOptions(command: string, timeoutMs: number, killGraceMs: number, options: SubmitRunnerOptions): void {
  if (typeof command !== 'string' || command.length === 0 || command.includes('\0')) {
    throw new ConfigError(`Expected the \`command\` option to be a non-empty string, got \`${String(command)}\``);
  }
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    throw new ConfigError(`Expected the \`timeoutMs\` option to be a positive integer (ms), got \`${String(timeoutMs)}\``);
  }
  if (!Number.isInteger(killGraceMs) || killGraceMs < 0) {
    throw new ConfigError(`Expected the \`killGraceMs\` option to be a non-negative integer (ms), got \`${String(killGraceMs)}\``);
  }
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
    throw new ConfigError(`Expected the \`concurrency\` option to be a positive integer, got \`${String(options.concurrency)}\``);
  }
  if (typeof options.homeRoot !== 'string' || options.homeRoot.length === 0) {
    throw new ConfigError(`Expected the \`homeRoot\` option to be a non-empty path, got \`${String(options.homeRoot)}\``);
  }
  if (!Array.isArray(options.secrets)) {
    throw new ConfigError('Expected the `secrets` option to be an array of strings');
  }
}
