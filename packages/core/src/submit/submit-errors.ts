// Errors of the Compass-CI submit step, so callers branch on `instanceof`, `code` and `kind`, never on text.

import { PypiWatchError } from '../errors.js';

/**
 * Why a submit did not give a job id.
 * - `refused`: submit ran and printed `got job id=0, error: …` (the farm said no).
 * - `timeout`: it ran past `timeoutMs`; its whole process group was killed.
 * - `exit`: it exited non-zero or died of a signal.
 * - `not-found`: the command is not on PATH (or the path does not exist).
 * - `not-executable`: the command exists but may not be executed.
 * - `no-job-id`: it exited 0 but printed no job id at all.
 */
export type SubmitFailureKind = 'refused' | 'timeout' | 'exit' | 'not-found' | 'not-executable' | 'no-job-id';

export interface SubmitFailureDetails {
  readonly kind: SubmitFailureKind;
  /** One line for the fail list and the job's failedReason; already redacted. */
  readonly reason: string;
  /** What submit printed (stdout and stderr in arrival order), redacted and bounded. */
  readonly output: string;
  readonly durationMs: number;
  /** The argv that was run, command first. */
  readonly command: readonly string[];
  /** Exit code when the process exited; absent when it never started, or died of a signal. */
  readonly exitCode?: number;
  /** Signal that ended it, e.g. `SIGKILL` after a timeout. */
  readonly signal?: string;
  /** The farm answered "Failed to verify the account.": retrying cannot help until the account is fixed. */
  readonly accountRefused: boolean;
}

/** One submit call did not produce a job id. */
export class SubmitFailedError extends PypiWatchError {
  readonly kind: SubmitFailureKind;
  readonly reason: string;
  readonly output: string;
  readonly durationMs: number;
  readonly command: readonly string[];
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  readonly accountRefused: boolean;

  constructor(details: SubmitFailureDetails, options?: { cause?: unknown }) {
    super('ERR_SUBMIT_FAILED', `submit failed (${details.kind}): ${details.reason}`, options);
    this.name = 'SubmitFailedError';
    this.kind = details.kind;
    this.reason = details.reason;
    this.output = details.output;
    this.durationMs = details.durationMs;
    this.command = details.command;
    this.exitCode = details.exitCode;
    this.signal = details.signal;
    this.accountRefused = details.accountRefused;
  }
}

/** A project name, key or value would not be safe or unambiguous on the submit command line. */
export class SubmitArgumentError extends PypiWatchError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_SUBMIT_ARGUMENT', message, options);
    this.name = 'SubmitArgumentError';
  }
}

/** The job YAML template is missing, unparsable or not a mapping, or the rendered copy could not be written. */
export class JobYamlError extends PypiWatchError {
  readonly path: string;

  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super('ERR_JOB_YAML', message, options);
    this.name = 'JobYamlError';
    this.path = path;
  }
}

/** `SubmitRunner.run` was called after `close()`, or while it was closing. */
export class SubmitRunnerClosedError extends PypiWatchError {
  constructor(message = 'the submit runner is closed') {
    super('ERR_SUBMIT_RUNNER_CLOSED', message);
    this.name = 'SubmitRunnerClosedError';
  }
}
