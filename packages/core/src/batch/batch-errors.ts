// Errors of the batch log folder, so callers test `instanceof` or `code`, never message text.

import { PypiWatchError } from '../errors.js';

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
