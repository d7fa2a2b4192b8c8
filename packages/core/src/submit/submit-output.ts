// Reads what lkp-tests' `submit` prints, and strips the account token and other secrets from it.

import { SecretRedactor } from '../logging/secret-redaction.js';

export interface ParsedSubmitOutput {
  /** From `submit_id=<uuid>`. */
  readonly submitId?: string;
  /** From `got job id=<id>`; `'0'` when the farm refused the job. */
  readonly jobId?: string;
  /** From `result_root <path>` (newer lkp-tests only). */
  readonly resultRoot?: string;
  /** The farm's message after `failed, got job id=0, error:` (first line of it). */
  readonly error?: string;
  /** The farm said "Failed to verify the account.": a retry cannot help. */
  readonly accountRefused: boolean;
}

const SUBMIT_ID_LINE = /^submit_id=(\S+)\s*$/;
// "failed" must be tried first: both lines start with "submit <file>".
const FAILED_LINE = /^submit .+ failed, got job id=(\S*), error: ?(.*)$/;
const SUCCESS_LINE = /^submit .+, got job id=(\S+)\s*$/;
// At most PATH_MAX (4096): a longer "path" is none the mount holds, and would be stored in every outcome.
const RESULT_ROOT_LINE = /^result_root[ =](\S{1,4096})\s*$/;
const ACCOUNT_REFUSAL = 'Failed to verify the account.';

/**
 * Parses submit's combined stdout and stderr, before any redaction: a secret that happens to be
 * `0` or `id` must not turn `got job id=0` into something else. When one file expands to several
 * jobs the first accepted job id wins, else the last refused one.
 */
export function parseSubmitOutput(text: string): ParsedSubmitOutput {
  let submitId: string | undefined;
  let acceptedJobId: string | undefined;
  let refusedJobId: string | undefined;
  let resultRoot: string | undefined;
  let error: string | undefined;

  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/\r$/, '');
    let match = SUBMIT_ID_LINE.exec(line);
    if (match?.[1] !== undefined) {
      submitId ??= match[1];
      continue;
    }
    match = FAILED_LINE.exec(line);
    if (match !== null) {
      refusedJobId = match[1] ?? '';
      error = (match[2] ?? '').trim();
      continue;
    }
    match = SUCCESS_LINE.exec(line);
    if (match?.[1] !== undefined) {
      if (isAcceptedJobId(match[1])) acceptedJobId ??= match[1];
      else refusedJobId = match[1];
      continue;
    }
    match = RESULT_ROOT_LINE.exec(line);
    if (match?.[1] !== undefined) resultRoot ??= match[1];
  }

  const jobId = acceptedJobId ?? refusedJobId;
  return {
    ...(submitId !== undefined && { submitId }),
    ...(jobId !== undefined && { jobId }),
    ...(resultRoot !== undefined && { resultRoot }),
    ...(error !== undefined && { error }),
    accountRefused: text.includes(ACCOUNT_REFUSAL),
  };
}

/** submit can exit 0 on a refused job: only a non-empty id other than 0 is a submitted job. */
export function isAcceptedJobId(jobId: string | undefined): jobId is string {
  return jobId !== undefined && jobId !== '' && jobId !== '0';
}

export { REDACTED } from '../logging/secret-redaction.js';

/** Most of submit's output we keep, in characters: the job id and errors are at the end. */
export const MAX_KEPT_OUTPUT_CHARS = 64 * 1024;

/**
 * Replaces every value printed under a secret key (`my_token: v`, `"api_key"=>"v"`, …), every
 * later repeat of it, and each `extraSecrets` value of at least `MIN_SECRET_LENGTH` characters with
 * `[REDACTED]`, then keeps only the last `MAX_KEPT_OUTPUT_CHARS` characters, so a garbage-spewing
 * submit cannot blow memory. Parse first (`parseSubmitOutput`): redaction may rewrite any word.
 */
export function redactSubmitOutput(text: string, extraSecrets: readonly string[]): string {
  return keepTail(redactSecrets(text, extraSecrets), MAX_KEPT_OUTPUT_CHARS);
}

/** `redactSubmitOutput` without the length bound. */
export function redactSecrets(text: string, extraSecrets: readonly string[]): string {
  return new SecretRedactor(extraSecrets).redact(text);
}

/**
 * The last `max` characters, starting at a line start so no cut-off fragment
 * (say the tail of a token whose key was dropped) survives.
 */
export function keepTail(text: string, max: number): string {
  if (text.length <= max) return text;
  let start = text.length - max;
  const nextLine = text.indexOf('\n', start);
  start = nextLine === -1 ? text.length : nextLine + 1;
  return `[... ${start} characters of submit output dropped ...]\n${text.slice(start)}`;
}

/** The last non-blank line, for one-line failure reasons. */
export function lastOutputLine(text: string): string | undefined {
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    const line = lines[i]?.trim();
    if (line !== undefined && line !== '') return line;
  }
  return undefined;
}
