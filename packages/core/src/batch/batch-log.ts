// The batch log folder operators' scripts read: submit-log, submit-succ-list, submit-fail-list, result_root_list.

import { appendFileSync, mkdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { checkProjectName } from '../release/project-name.js';
import { formatCommandForLog } from '../submit/submit-command.js';
import { keepTail } from '../submit/submit-output.js';
import { InvalidBatchIdError, InvalidBatchRecordError } from '../errors.js';
import { localClock, localDay, localIsoTimestamp, parseLocalStamp } from './local-time.js';

const BATCH_ID = /^submit-log-(\d{8})-(\d{6})$/;

export const SUBMIT_LOG_FILE = 'submit-log';
export const SUCCESS_LIST_FILE = 'submit-succ-list';
export const FAILURE_LIST_FILE = 'submit-fail-list';
export const RESULT_ROOT_LIST_FILE = 'result_root_list';

/**
 * Output kept per submit-log record, in characters. With the header this keeps a record far
 * below Node's 512 KiB write chunk, so each record is exactly one write(2).
 */
const MAX_RECORD_OUTPUT_CHARS = 64 * 1024;
const MAX_REASON_CHARS = 1000;
const JOB_ID = /^[^\s\p{Cc}]{1,200}$/u;

/**
 * Batch folders and files are the worker user's alone (0700 / 0600): they hold the farm's
 * answers, the commands run and the account's refusals, and the operators' scripts that read them
 * run as that same user. Access for anyone else is the operator's explicit choice (a default ACL
 * on logDir, say), never the default. Files written before this rule keep their mode.
 */
export const BATCH_DIR_MODE = 0o700;
export const BATCH_FILE_MODE = 0o600;
const RESULT_ROOT = /^[^\s\p{Cc}]{1,4096}$/u;

/** `submit-log-20261125-131500` for a batch started at that local time. */
export function batchIdFor(date: Date): string {
  return `submit-log-${localDay(date)}-${localClock(date)}`;
}

/**
 * Returns the id unchanged when it is exactly `submit-log-YYYYMMDD-HHMMSS`, else throws:
 * batch ids arrive in job data, and only this shape may become a folder name under logDir.
 */
export function validateBatchId(id: unknown): string {
  if (typeof id !== 'string' || !BATCH_ID.test(id)) {
    const shown = typeof id === 'string' ? JSON.stringify(id.slice(0, 80)) : typeof id;
    throw new InvalidBatchIdError(`batch id ${shown} is not submit-log-YYYYMMDD-HHMMSS`);
  }
  return id;
}

/** The batch's start time from a folder name, or undefined for anything that is not a batch folder. */
export function parseBatchTime(name: string): Date | undefined {
  const match = BATCH_ID.exec(name);
  if (match?.[1] === undefined || match[2] === undefined) return undefined;
  return parseLocalStamp(match[1], match[2]);
}

export interface BatchLogOptions {
  /** Folder holding the `submit-log-YYYYMMDD-HHMMSS/` batch folders; created when missing. */
  readonly logDir: string;
}

export interface CommandRecord {
  /** The PyPI project name. */
  readonly name: string;
  /** The argv that ran, command first. */
  readonly command: readonly string[];
  /** What it printed, already redacted (SubmitRunner does); bounded here again. */
  readonly output: string;
  /** 1 for the first try. */
  readonly attempt: number;
  /** When the attempt started. */
  readonly at: Date;
}

/**
 * Appends to batch folders. Several worker processes write one batch at once: every record is a
 * single `appendFile` (O_APPEND) of the whole block, so records never interleave on a local
 * file system. (NFS does not honour O_APPEND atomically; keep logDir local.)
 */
export class BatchLog {
  readonly logDir: string;

  constructor(options: BatchLogOptions) {
    this.logDir = options.logDir;
  }

  /** The folder of a batch; throws `InvalidBatchIdError` for anything but a batch id. */
  dirFor(batchId: string): string {
    return join(this.logDir, validateBatchId(batchId));
  }

  /** Creates the batch folder (and logDir) if missing; returns its path. */
  async create(batchId: string): Promise<string> {
    const dir = this.dirFor(batchId);
    await mkdir(dir, { recursive: true, mode: BATCH_DIR_MODE });
    return dir;
  }

  /** One block in `submit-log`: a header line, the command as typed in a shell, its output, a blank line. */
  appendCommand(batchId: string, record: CommandRecord): Promise<void> {
    return settled(() => this.writeCommand(batchId, record));
  }

  /** `NAME  JOB_ID` in submit-succ-list, and the result root (when known) in result_root_list. */
  appendSuccess(batchId: string, name: string, jobId: string, resultRoot?: string): Promise<void> {
    return settled(() => this.writeSuccess(batchId, name, jobId, resultRoot));
  }

  /** `NAME  REASON` in submit-fail-list (created by the first failure); the reason is flattened to one line. */
  appendFailure(batchId: string, name: string, reason: string): Promise<void> {
    return settled(() => {
      checkName(name);
      this.append(batchId, FAILURE_LIST_FILE, `${name}  ${flattenReason(reason)}\n`);
    });
  }

  private writeCommand(batchId: string, record: CommandRecord): void {
    const name = checkName(record.name);
    const [command = '', ...args] = record.command;
    const output = cleanOutput(keepTail(record.output, MAX_RECORD_OUTPUT_CHARS));
    const block =
      `==> ${localIsoTimestamp(record.at)} ${name} attempt ${record.attempt}\n` +
      `$ ${formatCommandForLog(command, args)}\n` +
      (output === '' ? '' : output.endsWith('\n') ? output : `${output}\n`) +
      '\n';
    this.append(batchId, SUBMIT_LOG_FILE, block);
  }

  private writeSuccess(batchId: string, name: string, jobId: string, resultRoot: string | undefined): void {
    checkName(name);
    if (!JOB_ID.test(jobId)) throw new InvalidBatchRecordError(`job id ${JSON.stringify(jobId.slice(0, 80))} is not one word`);
    if (resultRoot !== undefined && !RESULT_ROOT.test(resultRoot)) {
      throw new InvalidBatchRecordError(`result root ${JSON.stringify(resultRoot.slice(0, 80))} is not one word`);
    }
    this.append(batchId, SUCCESS_LIST_FILE, `${name}  ${jobId}\n`);
    if (resultRoot !== undefined) this.append(batchId, RESULT_ROOT_LIST_FILE, `${resultRoot}\n`);
  }

  /**
   * One O_APPEND write of a small record, done synchronously as pino writes its log lines: on a local
   * file system open, write and close take microseconds, where three thread-pool round trips and a
   * `mkdir -p` before every record were the largest share of a submit's own work (bench/README).
   * The folder is created only when the append finds it missing: another host's worker may be the
   * first to write this batch, and cleanup may have removed an old batch that is still being written.
   */
  private append(batchId: string, file: string, text: string): void {
    const dir = this.dirFor(batchId);
    const path = join(dir, file);
    // The mode applies when the append creates the file; the umask can only remove bits from it.
    const options = { encoding: 'utf8', flag: 'a', mode: BATCH_FILE_MODE } as const;
    try {
      appendFileSync(path, text, options);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      mkdirSync(dir, { recursive: true, mode: BATCH_DIR_MODE });
      appendFileSync(path, text, options);
    }
  }
}

/** A synchronous write as a promise, so a refused record rejects as it did when the writes were async. */
function settled(write: () => void): Promise<void> {
  try {
    write();
    return Promise.resolve();
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

function checkName(name: string): string {
  const checked = checkProjectName(name);
  if (!checked.ok) throw new InvalidBatchRecordError(`project name ${JSON.stringify(name.slice(0, 80))} rejected: ${checked.reason}`);
  return name;
}

/** Control characters would garble a terminal reading the log; tabs and newlines stay. */
function cleanOutput(output: string): string {
  return output.replace(/\r\n/g, '\n').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '\uFFFD');
}

function flattenReason(reason: string): string {
  const flat = reason.replace(/[\s\p{Cc}]+/gu, ' ').trim() || 'unknown reason';
  return flat.length > MAX_REASON_CHARS ? `${flat.slice(0, MAX_REASON_CHARS - 1)}…` : flat;
}
