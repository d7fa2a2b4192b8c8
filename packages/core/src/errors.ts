// Every error class of pypi-watch, each with a stable `code`, so callers test `instanceof` or
// `code`, never message text. Plain data only: the CLI imports this file before anything else.

export class PypiWatchError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PypiWatchError';
    this.code = code;
  }
}

/** The config file, an environment override or a CLI argument is invalid. */
export class ConfigError extends PypiWatchError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_CONFIG', message, options);
    this.name = 'ConfigError';
  }
}

/** Redis could not be reached, or the embedded redis-server could not start. */
export class RedisUnavailableError extends PypiWatchError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_REDIS_UNAVAILABLE', message, options);
    this.name = 'RedisUnavailableError';
  }
}

/** No `redis-server` executable to run the embedded Redis with. */
export class RedisNotInstalledError extends PypiWatchError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_REDIS_NOT_INSTALLED', message, options);
    this.name = 'RedisNotInstalledError';
  }
}

/** The server an embedded-Redis endpoint file names cannot show it is the one pypi-watch started. */
export class UntrustedRedisError extends PypiWatchError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_REDIS_UNTRUSTED', message, options);
    this.name = 'UntrustedRedisError';
  }
}

/** A package list or a feed entry is not acceptable input. */
export class InvalidInputError extends PypiWatchError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_INVALID_INPUT', message, options);
    this.name = 'InvalidInputError';
  }
}

/** Another poll holds the poll lock. */
export class PollInProgressError extends PypiWatchError {
  constructor() {
    super('ERR_POLL_IN_PROGRESS', 'another poll is running; try again when it has finished');
    this.name = 'PollInProgressError';
  }
}

/** A mistake in how a command was called (arguments, options): the CLI prints it with a hint to `--help` and exits 2. */
export class UsageError extends PypiWatchError {
  constructor(message: string) {
    super('ERR_USAGE', message);
    this.name = 'UsageError';
  }
}

/** A call did not settle within its time limit (see `withTimeout`). */
export class TimeoutError extends PypiWatchError {
  constructor(what: string, ms: number) {
    super('ERR_TIMEOUT', `${what}: no answer within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

// Fetching from PyPI.

/** Fetching from PyPI failed: HTTP status, network error or timeout, after the retries ran out. */
export class SourceError extends PypiWatchError {
  constructor(message: string, options?: { cause?: unknown }, code = 'ERR_SOURCE') {
    super(code, message, options);
    this.name = 'SourceError';
  }
}

/** A response body grew past `maxBodyBytes`; the download was aborted before it was buffered. */
export class ResponseTooLargeError extends SourceError {
  readonly limitBytes: number;

  constructor(url: string, limitBytes: number, options?: { cause?: unknown }) {
    super(`response from ${url} is larger than the ${limitBytes}-byte limit (maxBodyBytes)`, options, 'ERR_SOURCE_RESPONSE_TOO_LARGE');
    this.name = 'ResponseTooLargeError';
    this.limitBytes = limitBytes;
  }
}

/** The XML-RPC server answered with a `<fault>`. */
export class XmlRpcFaultError extends SourceError {
  readonly faultCode: number;
  readonly faultString: string;

  constructor(method: string, faultCode: number, faultString: string) {
    super(`XML-RPC ${method}() failed with fault ${faultCode}: ${faultString}`, undefined, 'ERR_XMLRPC_FAULT');
    this.name = 'XmlRpcFaultError';
    this.faultCode = faultCode;
    this.faultString = faultString;
  }
}

/** The whole document is unusable: not well-formed XML (often a truncated body), or not the expected shape. */
export class FeedFormatError extends SourceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options, 'ERR_FEED_FORMAT');
    this.name = 'FeedFormatError';
  }
}

/** PyPI's JSON API answered with something that is not JSON, or not shaped like a release. */
export class JsonApiFormatError extends SourceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options, 'ERR_JSON_API_FORMAT');
    this.name = 'JsonApiFormatError';
  }
}

// The Compass-CI submit step.

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

// The batch log folder and update lists.

/** A batch id (from job data) is not `submit-log-YYYYMMDD-HHMMSS`; it never becomes a path. */
export class InvalidBatchIdError extends PypiWatchError {
  constructor(message: string) {
    super('ERR_INVALID_BATCH_ID', message);
    this.name = 'InvalidBatchIdError';
  }
}

/** A name, job id or result root would break the one-record-a-line batch files. */
export class InvalidBatchRecordError extends PypiWatchError {
  constructor(message: string) {
    super('ERR_INVALID_BATCH_RECORD', message);
    this.name = 'InvalidBatchRecordError';
  }
}

// Farm result folders: they sit on a mount anyone on the farm can write to.

export const UNREADABLE_REASONS = [
  /** The folder, or a file in it, resolves outside the mapped local root (a symlink out, say). */
  'outside-root',
  /** The result path is there but is not a folder. */
  'not-a-directory',
  /** `output` or `build.log` is a symlink: never followed, wherever it points. */
  'symlink',
  /** `output` or `build.log` is a FIFO, socket or device: opening or reading it could block forever. */
  'not-a-regular-file',
  /** A filesystem call on the result mount did not answer within the per-read timeout (a hung mount). */
  'timeout',
] as const;
export type UnreadableReason = (typeof UNREADABLE_REASONS)[number];

/** A result folder or file that is not read, and why (`reason`); `file` is the entry, when one. */
export class UnreadableResultError extends PypiWatchError {
  readonly reason: UnreadableReason;
  readonly file: string | undefined;

  constructor(reason: UnreadableReason, file?: string, options?: { cause?: unknown }) {
    super('ERR_RESULT_UNREADABLE', `result ${file === undefined ? 'folder' : `file ${file}`} not read: ${reason}`, options);
    this.name = 'UnreadableResultError';
    this.reason = reason;
    this.file = file;
  }
}

// Notifications.

/** A webhook did not take a notification (network error, timeout, an answer other than success); `retryAfterMs` when it said when. */
export class WebhookDeliveryError extends PypiWatchError {
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options?: { retryAfterMs?: number }) {
    super('ERR_WEBHOOK_DELIVERY', message);
    this.name = 'WebhookDeliveryError';
    this.retryAfterMs = options?.retryAfterMs;
  }
}
