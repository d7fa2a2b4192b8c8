// `pypi-watch status` as a person reads it: lag and the last poll first, then the submit rate, the
// backlog, the last failures, the gate and the schedules, in 80 columns.
//
// Names, versions, reasons and schedule ids come from Redis (job data, feed text): each is escaped
// for the terminal, then cut to the room its line has, so no line runs past WIDTH however long it is.
// Room is counted in terminal columns (string-width): a CJK character or an emoji takes two.

import { formatDuration } from '@pypi-watch/core/duration';
import type { Status } from '@pypi-watch/core/status';
import { terminalText } from '@pypi-watch/core/terminal-text';
import stringWidth from 'string-width';

const WIDTH = 80;
const INDENT = '  ';
/** Room for a name and version on a failure line, before its reason. */
const NAME_ROOM = 32;

/** `now`: what "ago" counts from (ms); the times shown were taken on the hosts' clocks. */
export function formatStatusText(status: Status, now = Date.now()): string {
  const poll = lastPollOf(status.lastPoll);
  const lines = [`pypi-watch status at ${iso(now)}`];
  lines.push(...lagLines(status, poll), ...pollLines(status, poll, now), ...rateLines(status), '', ...backlogLines(status));
  lines.push('', ...failureLines(status, now), '', ...gateLines(status, now), ...scheduleLines(status, now));
  lines.push(`dedupe entries: ${status.dedupeSize}`);
  return `${lines.join('\n')}\n`;
}

/** The last poll's result, read without trusting it (it is whatever the key holds). */
interface PollView {
  readonly source: 'changelog' | 'rss';
  readonly startedAt: number;
  readonly count: (field: string) => number;
  readonly gap: boolean;
}

function lastPollOf(raw: unknown): PollView | undefined {
  if (!isRecord(raw)) return undefined;
  const startedAt = typeof raw.startedAt === 'string' ? Date.parse(raw.startedAt) : NaN;
  if (!Number.isFinite(startedAt)) return undefined;
  return {
    source: raw.source === 'rss' ? 'rss' : 'changelog',
    startedAt,
    count: (field) => {
      const value = raw[field];
      return typeof value === 'number' && Number.isFinite(value) ? value : 0;
    },
    gap: raw.gap === true,
  };
}

function lagLines(status: Status, poll: PollView | undefined): string[] {
  if (poll === undefined) return ['lag: unknown (no poll yet: run `pypi-watch poll`, or the scheduler)'];
  const lag = poll.count('lag');
  // RSS lag is in seconds: how far the newest item seen trails the feed's newest.
  const behind = poll.source === 'rss' ? `${lag === 0 ? '0s' : formatDuration(lag * 1000)} behind the feed` : `${lag} serials behind PyPI`;
  return wrap('lag: ', [`${behind} at the last poll`, cursorText(status.cursor)]);
}

function cursorText(stored: unknown): string {
  const cursor = isRecord(stored) && isRecord(stored.cursor) ? stored.cursor : undefined;
  if (typeof cursor?.serial === 'number') return `cursor at serial ${cursor.serial}`;
  if (typeof cursor?.time === 'number') return `cursor at ${iso(cursor.time * 1000)}`;
  return 'no cursor';
}

function pollLines(status: Status, poll: PollView | undefined, now: number): string[] {
  const lines: string[] = [];
  const failure = status.lastPollFailure;
  // A poll job that failed after all its attempts (BullMQ's failed set), later than the last poll that finished.
  if (failure !== undefined && (poll === undefined || failure.at > poll.startedAt + poll.count('durationMs'))) {
    lines.push(`last poll: FAILED ${ago(now, failure.at)} (${iso(failure.at)}):`);
    lines.push(INDENT + clip(failure.reason || '(no reason recorded)', WIDTH - INDENT.length));
  }
  if (poll === undefined) return failure === undefined ? [...lines, 'last poll: never'] : lines;
  const label = lines.length > 0 ? 'last ok poll: ' : 'last poll: ok, ';
  const n = poll.count;
  lines.push(
    ...wrap(label, [
      `${ago(now, poll.startedAt)} (${iso(poll.startedAt)})`,
      `took ${formatDuration(n('durationMs'))}`,
      `${n('pages')} page(s)`,
    ]),
  );
  const counts = [
    `found ${n('found')}`,
    `queued ${n('queued')} as ${n('queuedJobs')} job(s)`,
    `waiting ${n('waiting')}`,
    `held ${n('held')}`,
    `filtered ${n('filtered')}`,
    `duplicate ${n('duplicate')}`,
    `superseded ${n('superseded')}`,
    `invalid ${n('invalid')}`,
    `withdrawn ${n('withdrawn')}`,
  ];
  lines.push(...wrap(INDENT, counts));
  if (poll.gap) {
    lines.push('RSS gap: releases were missed (use source.type: changelog)');
    lines.push(`${INDENT}the last poll's last-seen release had left the 100-item feed`);
  }
  return lines;
}

function rateLines({ submitRate: rate }: Status): string[] {
  const window = formatDuration(rate.windowMs);
  const limit =
    rate.windowMs === rate.limit.durationMs
      ? `limit ${rate.limit.max} per ${window}`
      : `limit ${rate.limitInWindow} (${rate.limit.max} per ${formatDuration(rate.limit.durationMs)})`;
  const parts = [`${rate.finished} finished in the last ${window} (${rate.failed} failed)`, limit];
  if (rate.atLimit) parts.push('at the limit now');
  return wrap('submit rate: ', parts);
}

function backlogLines(status: Status): string[] {
  // A space before every cell, however wide its number.
  const cell = (value: string | number, width: number): string => ` ${String(value).padStart(width - 1)}`;
  const head = ['waiting', 'active', 'delayed', 'failed'].map((c) => cell(c, 9)).join('') + cell('completed', 11);
  const lines = [`${'backlog:'.padEnd(10)}${head}`];
  for (const [name, c] of Object.entries(status.queues)) {
    // Prioritized and waiting-for-children jobs wait too (BullMQ keeps them apart).
    const cells = [c.waiting + c.prioritized + c['waiting-children'], c.active, c.delayed, c.failed].map((v) => cell(v, 9));
    lines.push(`${INDENT}${name.padEnd(8)}${cells.join('')}${cell(c.completed, 11)}`);
  }
  return lines;
}

function failureLines(status: Status, now: number): string[] {
  const { submits, builds } = status.recentFailures;
  if (submits.length === 0 && builds.length === 0) return ['last failures: none'];
  const lines = ['last failures:'];
  const line = (kind: string, subject: string, reason: string, at: number | undefined): string => {
    const head = `${INDENT}${kind.padEnd(7)}${clip(subject, NAME_ROOM)}: `;
    const tail = at === undefined ? '' : ` (${ago(now, at)})`;
    return head + clip(reason || '(no reason recorded)', Math.max(8, WIDTH - stringWidth(head) - tail.length)) + tail;
  };
  for (const s of submits) lines.push(line('submit', s.name === '' ? `job ${s.jobId}` : nameVersion(s), s.reason, s.at));
  for (const b of builds) lines.push(line('build', nameVersion(b), b.kind, b.at));
  return lines;
}

function gateLines(status: Status, now: number): string[] {
  const { waiting, held, withdrawn } = status.gate;
  const prefix = 'gate: ';
  let first = `${waiting} waiting for an sdist`;
  const oldest = status.oldestWaiting;
  if (oldest !== undefined) {
    const since = Date.parse(oldest.since);
    const tail = Number.isFinite(since) ? `, for ${formatDuration(Math.max(0, now - since))})` : ')';
    const room = WIDTH - prefix.length - first.length - ' (longest: '.length - tail.length - 1;
    first += ` (longest: ${clip(`${oldest.name} ${oldest.version}`, room)}${tail}`;
  }
  return wrap(prefix, [first, `${held} held by filters.minAge`, `${withdrawn} withdrawn (restorable)`]);
}

function scheduleLines(status: Status, now: number): string[] {
  if (status.schedules.length === 0) return ['schedules: none (run `pypi-watch scheduler` or `start`)'];
  const lines = ['schedules:'];
  for (const schedule of status.schedules) {
    const every = schedule.everyMs === undefined ? 'every ?' : `every ${formatDuration(schedule.everyMs)}`;
    const next = schedule.next === undefined ? 'next ?' : `next in ${formatDuration(Math.max(0, schedule.next - now))}`;
    const tail = `: ${every}, ${next}`;
    lines.push(`${INDENT}${clip(`${schedule.queue}/${schedule.id}`, WIDTH - INDENT.length - tail.length)}${tail}`);
  }
  return lines;
}

function nameVersion(item: { readonly name: string; readonly version?: string }): string {
  return item.version === undefined ? item.name : `${item.name} ${item.version}`;
}

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** Outside text escaped, then cut to `room` columns (an escape, a character or an emoji sequence is never cut in half). */
export function clip(text: string, room: number): string {
  const escaped = terminalText(text);
  if (stringWidth(escaped) <= room) return escaped;
  let kept = '';
  let width = 0;
  for (const { segment } of graphemes.segment(escaped)) {
    const next = stringWidth(segment);
    if (width + next > Math.max(1, room - 1)) break;
    kept += segment;
    width += next;
  }
  return `${kept.replace(/\\(?:x[0-9a-f]?|u[0-9a-f]{0,3})?$/, '')}…`;
}

/** `prefix` and the parts joined with ", ", continued on indented lines where a line would pass WIDTH. */
function wrap(prefix: string, parts: readonly string[]): string[] {
  const lines: string[] = [];
  let line = prefix;
  let empty = true;
  for (const part of parts) {
    const candidate = empty ? line + part : `${line}, ${part}`;
    if (!empty && stringWidth(candidate) > WIDTH - 1) {
      lines.push(`${line},`);
      line = INDENT + part;
    } else line = candidate;
    empty = false;
  }
  lines.push(line);
  return lines;
}

function ago(now: number, at: number): string {
  const ms = now - at;
  return ms < 1000 ? 'just now' : `${formatDuration(ms)} ago`;
}

/** ISO time to the second: the milliseconds say nothing to a reader. `?` for a time no Date holds (±8.64e15 ms). */
function iso(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? '?' : date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
