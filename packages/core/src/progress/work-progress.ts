// How far long work has come (a changelog backfill, a large batch of submit jobs): counts only, for a
// terminal's progress bar. Nothing from outside travels in it, so showing it needs no escaping.

/** One step of long work. */
export interface WorkProgress {
  /** What is counted: `changelog` serials paged through, or `enqueue` submit jobs handed to BullMQ. */
  readonly phase: 'changelog' | 'enqueue';
  /** Done so far, from 0 up to `total`. */
  readonly done: number;
  /** All there is to do; known before the first step (the head serial read first, the batch's jobs). */
  readonly total: number;
}

/**
 * Called after each step (a changelog page, an `addBulk` chunk), synchronously: keep it cheap, and it
 * must not throw. Optional everywhere; `undefined` means nobody watches.
 */
export type OnProgress = (progress: WorkProgress) => void;
