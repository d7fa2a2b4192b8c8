// What pypi-watch learned about one submitted build, stored per release and summarised in reports.

import type { FailureKind } from './result-classifier.js';
import type { UnreadableReason } from '../errors.js';

export type OutcomeStatus = 'success' | 'failure' | 'gave-up' | 'unmapped' | 'unreadable';

export interface BuildOutcome {
  readonly name: string;
  readonly normalized: string;
  readonly version?: string;
  /** `os_arch=aarch64,testbox=vm-2p8g`. */
  readonly target: string;
  readonly farmJobId: string;
  readonly resultRoot: string;
  readonly batchId: string;
  /**
   * `gave-up`: no final result within `results.giveUpAfter`; `unmapped`: no `results.pathMap` entry
   * covers the path (or the map is empty); `unreadable`: the folder was not safe to read (see `unreadable`).
   */
  readonly status: OutcomeStatus;
  readonly kind?: FailureKind;
  /** For `unreadable`: why, and which file (absent when it was the folder itself). */
  readonly unreadable?: { readonly reason: UnreadableReason; readonly file?: string };
  /** For a success: whether the RPMs also installed. */
  readonly installed?: boolean;
  readonly buildDurationMs?: number;
  readonly submittedAt: number;
  readonly finishedAt: number;
  /** Set when a farm repo outage made pypi-watch submit it again (which resubmit this was). */
  readonly resubmit?: number;
}
