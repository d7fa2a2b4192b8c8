// Queue names and the key layout shared by every pypi-watch process.

export const QUEUE_NAMES = ['poll', 'submit', 'cleanup', 'result'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

export function isQueueName(value: string): value is QueueName {
  return (QUEUE_NAMES as readonly string[]).includes(value);
}

/**
 * BullMQ's prefix for `redis.prefix`: wrapped in `{}` so every queue key, and every key of ours,
 * hashes to one Redis Cluster slot (Lua scripts touch several keys at once).
 */
export function bullPrefix(prefix: string): string {
  return `{${prefix}}`;
}

/** Names of pypi-watch's own keys, beside BullMQ's, under the same hash tag. */
export function stateKeys(prefix: string) {
  const base = bullPrefix(prefix);
  return {
    base,
    /** The source cursor (JSON). */
    cursor: `${base}:state:cursor`,
    /** The last poll's result (JSON). */
    lastPoll: `${base}:state:last-poll`,
    /** Hash `NAME==VERSION` → JSON gate entry: releases waiting for an sdist, held for `filters.minAge`, or withdrawn before a build. */
    gate: `${base}:gate`,
    /** Sorted sets of the gate's keys by when each next needs a look (ms): one per gate state. */
    gateDue: {
      waiting: `${base}:gate:due:waiting`,
      held: `${base}:gate:due:held`,
      withdrawn: `${base}:gate:due:withdrawn`,
    },
    /** Hash `NAME|TARGET_ID` → the not-yet-started submit job of that project and target, and the versions it stands for. */
    latest: `${base}:latest`,
    /** List of JSON "built, then withdrawn upstream" events, newest last, for `report` (bounded). */
    withdrawnAfterSubmit: `${base}:withdrawn-after-submit`,
  } as const;
}
