// The `notify` config key, and the webhooks it names resolved to their URLs (which hold secrets).
//
// A webhook's URL is a credential: Feishu's and Slack's tokens are in its path. It comes from the
// file (`url`) or, better, from the environment (`urlEnv`), and is looked up only where it is used
// (the notify worker, `pypi-watch notify test`): the scheduler and the dashboard need no such secret.
// It is never logged whole, never put in Redis, never echoed in a config error.

import { createHash } from 'node:crypto';
import { z } from '#zod';
import { ConfigError } from '../errors.js';
import { NOTIFY_EVENTS, NOTIFY_FORMATS, type NotifyEvent, type NotifyFormat } from './notify-events.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const WEBHOOK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const URL_HELP = 'expected an absolute http:// or https:// URL';

/** Why `text` is no usable webhook URL, or undefined when it is one. */
export function webhookUrlProblem(text: string): string | undefined {
  if (/\s/.test(text)) return `${URL_HELP} without spaces`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return URL_HELP;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return URL_HELP;
  if (url.hostname === '') return URL_HELP;
  return undefined;
}

/** A URL in the file: checked without echoing it (`input: undefined`), as it holds the webhook's token. */
const webhookUrl = z.string().superRefine((text, ctx) => {
  const problem = webhookUrlProblem(text);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `${problem} (value not shown: it holds a secret)`, input: undefined });
});

const envName = z.string().regex(ENV_NAME, 'expected an environment variable name (letters, digits, `_`)');

export const webhookSchema = z
  .strictObject({
    /** Shown in logs and `notify test` instead of the URL. */
    name: z.string().regex(WEBHOOK_NAME, 'expected 1-64 letters, digits, `_`, `.`, `-`').optional(),
    url: webhookUrl.optional(),
    /** The environment variable holding the URL (preferred over `url`). */
    urlEnv: envName.optional(),
    format: z.enum(NOTIFY_FORMATS).default('json'),
    events: z
      .array(z.enum(NOTIFY_EVENTS))
      .min(1)
      .default([...NOTIFY_EVENTS]),
    /** Feishu only: the environment variable holding the bot's signing secret ("signature verification"). */
    secretEnv: envName.optional(),
  })
  .superRefine((hook, ctx) => {
    if ((hook.url === undefined) === (hook.urlEnv === undefined)) {
      // `input: undefined`: the webhook as written holds its URL, which must not be echoed.
      ctx.addIssue({
        code: 'custom',
        message: 'expected exactly one of `url` and `urlEnv` (the environment variable holding the URL)',
        input: undefined,
      });
    }
    if (hook.secretEnv !== undefined && hook.format !== 'feishu') {
      ctx.addIssue({ code: 'custom', path: ['secretEnv'], message: 'only a `feishu` webhook is signed', input: undefined });
    }
  });

export type WebhookInput = z.output<typeof webhookSchema>;

/** Keys of a webhook whose values a config error never quotes: a URL, or a URL written where a variable's name goes. */
const NEVER_SHOWN = new Set(['url', 'urlEnv', 'secretEnv']);
/** A value under notify.webhooks that is quoted: a short plain word (a mistyped event or format), never a URL or a token. */
const SHOWN_VALUE = /^[A-Za-z0-9_.-]{1,32}$/;

/**
 * Whether a config error may quote the value written at `path` (from the top, as zod names it).
 * Under notify.webhooks a URL may sit anywhere by mistake (the webhook itself, `urlEnv`, `events`),
 * and its token would land in a terminal, a CI log or a ticket: only plain words are shown there.
 */
export function configValueMayBeShown(path: readonly PropertyKey[], value: unknown): boolean {
  if (path[0] !== 'notify' || path[1] !== 'webhooks') return true;
  if (path.length < 4 || NEVER_SHOWN.has(String(path[3]))) return false;
  return typeof value === 'string' && SHOWN_VALUE.test(value);
}

/** A configured webhook with its URL looked up. */
export interface ResolvedWebhook {
  /** Its place in `notify.webhooks`. */
  readonly index: number;
  /** Stable across restarts and reordering (a hash of format and URL): delivery job ids and rate-limit keys use it. */
  readonly id: string;
  readonly name: string | undefined;
  /** `notify.webhooks.N (name, format, https://host/…)`: what logs and `notify test` show. Never the path. */
  readonly label: string;
  /** Secret. */
  readonly url: string;
  readonly format: NotifyFormat;
  readonly events: ReadonlySet<NotifyEvent>;
  /** Secret: Feishu's signing secret. */
  readonly signingSecret?: string;
}

/**
 * The webhooks with their URLs from the file or the environment. Throws a ConfigError naming each
 * bad key (a variable that is not set, or holds no URL; the same webhook twice), never a value.
 * `only`: that one webhook (its place in the list) and only its variables, for `notify test --webhook`.
 */
export function resolveWebhooks(
  webhooks: readonly WebhookInput[],
  env: NodeJS.ProcessEnv = process.env,
  options: { readonly only?: number } = {},
): ResolvedWebhook[] {
  const problems: string[] = [];
  const resolved: ResolvedWebhook[] = [];
  const seen = new Map<string, number>();
  webhooks.forEach((hook, index) => {
    if (options.only !== undefined && index !== options.only) return;
    const key = `notify.webhooks.${index}`;
    let url = hook.url;
    if (hook.urlEnv !== undefined) {
      url = env[hook.urlEnv];
      if (url === undefined || url === '') {
        problems.push(`${key}.urlEnv: the environment variable ${hook.urlEnv} is not set (it should hold the webhook's URL)`);
        return;
      }
      const problem = webhookUrlProblem(url);
      if (problem !== undefined) {
        problems.push(`${key}.urlEnv: ${hook.urlEnv} holds no usable webhook URL: ${problem} (value not shown: it holds a secret)`);
        return;
      }
    }
    if (url === undefined) return void problems.push(`${key}: expected exactly one of \`url\` and \`urlEnv\``);
    let signingSecret: string | undefined;
    if (hook.secretEnv !== undefined) {
      signingSecret = env[hook.secretEnv];
      if (signingSecret === undefined || signingSecret === '') {
        problems.push(`${key}.secretEnv: the environment variable ${hook.secretEnv} is not set (it should hold the bot's signing secret)`);
        return;
      }
    }
    const id = webhookId(hook.format, url);
    const twin = seen.get(id);
    if (twin !== undefined) return void problems.push(`${key}: the same URL and format as notify.webhooks.${twin}`);
    seen.set(id, index);
    const origin = new URL(url).origin;
    resolved.push({
      index,
      id,
      name: hook.name,
      label: `${key} (${hook.name === undefined ? '' : `${hook.name}, `}${hook.format}, ${origin}/…)`,
      url,
      format: hook.format,
      events: new Set(hook.events),
      ...(signingSecret === undefined ? {} : { signingSecret }),
    });
  });
  if (problems.length > 0) throw new ConfigError(`invalid config (notify.webhooks):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return resolved;
}

/** 16 hex digits of SHA-256: no way back to the URL's token, and no `:` for BullMQ's job ids. */
export function webhookId(format: NotifyFormat, url: string): string {
  return `w${createHash('sha256').update(`${format}\n${url}`).digest('hex').slice(0, 16)}`;
}

/** The secret values of resolved webhooks (URLs and signing secrets), for log redaction. */
export function webhookSecretValues(webhooks: readonly ResolvedWebhook[]): string[] {
  return webhooks.flatMap((hook) => [hook.url, ...(hook.signingSecret === undefined ? [] : [hook.signingSecret])]);
}
