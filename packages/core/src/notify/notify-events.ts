// What pypi-watch notifies about: the event names (public: they are written in config files), and
// the one message shape every webhook format is rendered from.

import { z } from '#zod';

/**
 * The events a webhook can subscribe to (`notify.webhooks[].events`). Alarms (`submits-refused`,
 * `poll-failing`, `poll-lag`) send one message when they open and one when they resolve; the others
 * send one message per occurrence, or per digest.
 */
export const NOTIFY_EVENTS = [
  /** Builds that failed (and gave up, or were unreadable) in the last `notify.digestEvery`: one digest. */
  'build-failures',
  /** Submit attempts keep failing (`notify.refusedAfter` in a row, none succeeding): the farm refuses, or submit cannot run. */
  'submits-refused',
  /** The poll failed for good after its retries, or none succeeded for 3 × `source.every`. */
  'poll-failing',
  /** The last poll left the cursor more than `notify.lagAlarm` changelog serials behind PyPI's head. */
  'poll-lag',
  /** An RSS poll found its last-seen release gone from the feed's window: releases were missed. */
  'rss-gap',
  /** A release that was already submitted was yanked, removed or quarantined on PyPI: its RPM may need pulling. */
  'built-then-withdrawn',
] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/** Message formats (`notify.webhooks[].format`). */
export const NOTIFY_FORMATS = ['json', 'feishu', 'slack'] as const;
export type NotifyFormat = (typeof NOTIFY_FORMATS)[number];

/**
 * - `opened` / `resolved`: an alarm started or ended;
 * - `fired`: one occurrence, or one digest;
 * - `test`: `pypi-watch notify test`.
 */
export type NotificationState = 'opened' | 'resolved' | 'fired' | 'test';

/** Bounds on a message, whatever the format: chat tools cut or refuse long messages. */
export const MESSAGE_LIMITS = { titleChars: 150, lineChars: 300, lines: 40, detailChars: 20_000 } as const;

/** Event ids become BullMQ job ids (with the webhook's id): no `:`, never all digits. */
const EVENT_ID = /^[a-z][a-z0-9-]{0,119}$/;

/**
 * One message, as the detector writes it and a delivery job carries it. Job data is readable and
 * writable by whoever reaches Redis, so a delivery job parses it with `notificationSchema` and the
 * formats escape and bound every string again.
 */
export const notificationSchema = z.strictObject({
  /** Deterministic: the same event, detected twice, has the same id. */
  id: z.string().regex(EVENT_ID),
  event: z.union([z.enum(NOTIFY_EVENTS), z.literal('test')]),
  state: z.enum(['opened', 'resolved', 'fired', 'test']),
  /** When it happened (ms since the epoch). */
  at: z.number().int().nonnegative(),
  title: z.string().max(1000),
  /** Plain text, one line each; formats escape them for their medium. */
  lines: z.array(z.string().max(2000)).max(200),
  /** Structured facts for the generic JSON format (counts, names, reasons). */
  details: z.record(z.string(), z.unknown()),
});
export type Notification = z.infer<typeof notificationSchema>;
