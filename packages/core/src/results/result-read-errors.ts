// Why a farm result folder was not read: it is on a mount anyone on the farm can write to.

import { PypiWatchError } from '../errors.js';

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
