// What the decision log holds: one decision about a release (or a whole project), and when it was made.

import type { DependencyDecision } from '../results/dependency-story.js';

export type Decision =
  | { readonly kind: 'invalid'; readonly reason: string }
  | { readonly kind: 'filtered'; readonly rule: string }
  | { readonly kind: 'duplicate'; readonly detail: string }
  | {
      readonly kind: 'queued';
      readonly origin: 'poll' | 'enqueue';
      readonly batchId: string;
      readonly jobs: number;
      /** Latest wins: the not-yet-started submit jobs this release joined instead of getting its own. */
      readonly joined?: readonly string[];
    }
  | { readonly kind: 'waiting'; readonly since: number; readonly detail?: string }
  | { readonly kind: 'held'; readonly until: number }
  | { readonly kind: 'no-sdist'; readonly since: number }
  | { readonly kind: 'superseded'; readonly by: string }
  | { readonly kind: 'withdrawn'; readonly detail: string; readonly reason?: string; readonly afterSubmit?: boolean }
  | { readonly kind: 'restored'; readonly reason: string; readonly detail: string }
  | { readonly kind: 'submitted'; readonly target: string; readonly farmJobId: string; readonly resultRoot?: string }
  | { readonly kind: 'submit-failed'; readonly target: string; readonly reason: string; readonly final: boolean }
  | { readonly kind: 'result'; readonly target: string; readonly status: string; readonly failureKind?: string }
  | { readonly kind: 'resubmitted'; readonly target: string; readonly reason: string; readonly resubmit: number }
  | DependencyDecision;

export interface DecisionEntry {
  /** When it was decided (ms). */
  readonly at: number;
  /** Absent for decisions about a whole project or an unversioned request. */
  readonly version?: string;
  readonly decision: Decision;
}

export interface DecisionRecord {
  /** The normalized project name, or for an invalid name the raw text (see `invalidSubject`). */
  readonly subject: string;
  readonly version?: string;
  readonly decision: Decision;
}
