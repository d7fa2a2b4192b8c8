// One notification rendered as a webhook's request body: generic JSON, a Feishu/Lark custom bot's
// rich-text `post`, or a Slack-compatible incoming webhook's `{text, blocks}`.
//
// Every string in a notification may come from outside (a failure reason the farm printed, a result
// path, a job's data in Redis): each is bounded, its control, bidi and zero-width characters shown as
// escapes, and, for Slack, `& < >` escaped so no text can mention `<!channel>` or forge a link (nor,
// on Slack-compatible servers reading Markdown, mention `@channel` or hide a link behind words). The
// body is serialized with `terminalJson`, so nothing raw that a terminal acts on reaches a receiver's log.

import { createHmac } from 'node:crypto';
import { terminalJson, terminalText } from '../text/terminal-text.js';
import { MESSAGE_LIMITS, type Notification, type NotifyFormat } from './notify-events.js';

export interface RenderOptions {
  readonly format: NotifyFormat;
  /** Feishu's signing secret: adds `timestamp` and `sign` to the body. */
  readonly signingSecret?: string;
  /** For Feishu's signature (seconds). @defaultValue Date.now */
  readonly now?: () => number;
}

/** Slack refuses a section longer than 3,000 characters and a header longer than 150. */
const SLACK_SECTION_CHARS = 3000;
const SLACK_HEADER_CHARS = 150;

/** The request body (JSON text) for one webhook. */
export function renderBody(notification: Notification, options: RenderOptions): string {
  const title = bound(notification.title, MESSAGE_LIMITS.titleChars);
  const lines = boundLines(notification.lines);
  switch (options.format) {
    case 'json':
      return terminalJson(jsonBody(notification, title, lines));
    case 'slack':
      return terminalJson(slackBody(notification, title, lines));
    case 'feishu':
      return terminalJson(feishuBody(title, lines, options));
  }
}

function jsonBody(notification: Notification, title: string, lines: readonly string[]): Record<string, unknown> {
  const details = JSON.stringify(notification.details);
  return {
    source: 'pypi-watch',
    id: notification.id,
    event: notification.event,
    state: notification.state,
    at: new Date(notification.at).toISOString(),
    title,
    text: lines.join('\n'),
    // Structured facts, unless they grew past the bound (hostile job data): then only a marker.
    details: details.length <= MESSAGE_LIMITS.detailChars ? notification.details : { truncated: true },
  };
}

function slackBody(notification: Notification, title: string, lines: readonly string[]): Record<string, unknown> {
  const text = lines.map(slackEscape);
  const sections: string[] = [];
  let current = '';
  for (const line of text) {
    if (current !== '' && current.length + 1 + line.length > SLACK_SECTION_CHARS) {
      sections.push(current);
      current = '';
    }
    current = current === '' ? line : `${current}\n${line}`;
  }
  if (current !== '') sections.push(current);
  return {
    // What Slack shows in notifications, and all that Slack-compatible servers without blocks show.
    text: [slackEscape(title), ...text].join('\n'),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: bound(title, SLACK_HEADER_CHARS) } },
      ...sections.map((section) => ({ type: 'section', text: { type: 'mrkdwn', text: section } })),
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: `pypi-watch · ${notification.event} · ${new Date(notification.at).toISOString()}` }],
      },
    ],
  };
}

/**
 * Slack's own escaping (`& < >` are its only markup: `<!channel>`, `<url|text>`), and what the
 * Slack-compatible servers that read `text` as Markdown act on: a plain `@channel`, `@all` or
 * `@name` mention (its `@` becomes a full-width `＠`, which none reads as one) and a link behind
 * words (`](`, `][`, `]:` get a space; the URL stays visible).
 */
function slackEscape(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replace(/(?<!\w)@(?=[A-Za-z])/g, '\uFF20')
    .replace(/\](?=[([:])/g, '] ');
}

function feishuBody(title: string, lines: readonly string[], options: RenderOptions): Record<string, unknown> {
  // `text` elements of a post are shown as written: no `<at>` tag inside one is read as a mention.
  const body: Record<string, unknown> = {
    msg_type: 'post',
    content: { post: { zh_cn: { title, content: lines.map((line) => [{ tag: 'text', text: line }]) } } },
  };
  if (options.signingSecret === undefined) return body;
  const timestamp = String(Math.floor((options.now ?? Date.now)() / 1000));
  return { timestamp, sign: feishuSign(timestamp, options.signingSecret), ...body };
}

/** Feishu's custom-bot signature: HMAC-SHA256 keyed with `timestamp\nsecret` over nothing, in base64. */
export function feishuSign(timestamp: string, secret: string): string {
  return createHmac('sha256', `${timestamp}\n${secret}`).update('').digest('base64');
}

/** Escaped for display, then cut to `max` characters. */
export function bound(text: string, max: number): string {
  const safe = terminalText(text);
  return safe.length <= max ? safe : `${safe.slice(0, max - 1)}…`;
}

function boundLines(lines: readonly string[]): string[] {
  const kept = lines.slice(0, MESSAGE_LIMITS.lines).map((line) => bound(line, MESSAGE_LIMITS.lineChars));
  if (lines.length > MESSAGE_LIMITS.lines) kept.push(`… and ${lines.length - MESSAGE_LIMITS.lines} more line(s)`);
  return kept;
}
