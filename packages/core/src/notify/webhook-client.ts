// One POST to one webhook, and what its answer means: delivered, worth retrying, or not.
//
// The URL holds a token, so no message here names more than its origin, and the receiver's words
// are quoted with the URL's parts taken out: servers quote the request back ("Cannot POST /path",
// "invalid token …"), and a failure reason goes to the log, to Redis and to Bull Board. The
// receiver is hostile as far as we are concerned: its body is read to a bound and dropped past it, redirects are not
// followed (a 3xx could send the message, and the token-bearing request, anywhere), and the whole
// request has a time limit. got's own retries are off: retries are BullMQ's, with backoff, so a
// receiver that is down holds no worker slot.

import got, { RequestError } from 'got';
import { SecretRedactor } from '../logging/secret-redaction.js';
import { DEFAULT_USER_AGENT } from '../sources/http-client.js';
import { bound } from './message-formats.js';
import type { NotifyFormat } from './notify-events.js';

/** Bytes of a response body kept; the rest is not read. */
const MAX_BODY_BYTES = 16 * 1024;
/** Characters of a response body quoted in a log line or a failure reason. */
const QUOTED_BODY_CHARS = 300;
/** Longest `Retry-After` honoured. */
const MAX_RETRY_AFTER_MS = 3_600_000;
/** Path segments and query values this long are hunted on their own in what a receiver says (a token alone). */
const MIN_TOKEN_PART_CHARS = 6;
/** Feishu's answer to a bot sending too fast (HTTP 200, `code` 11232 "frequency limited"). */
const FEISHU_FREQUENCY_LIMITED = 11_232;

export type DeliveryOutcome =
  | { readonly ok: true; readonly status: number; readonly body: string }
  | {
      readonly ok: false;
      /** A network error, a timeout, 408/429/5xx, Feishu's rate limit: later may work. */
      readonly retryable: boolean;
      readonly status?: number;
      /** One line, no URL path, the receiver's words bounded and escaped. */
      readonly reason: string;
      readonly retryAfterMs?: number;
    };

export interface PostOptions {
  readonly url: string;
  readonly format: NotifyFormat;
  readonly body: string;
  readonly timeoutMs: number;
}

export async function postWebhook(options: PostOptions): Promise<DeliveryOutcome> {
  const redactor = new SecretRedactor(secretPartsOf(options.url));
  let response: RawResponse;
  try {
    response = await request(options);
  } catch (error) {
    return { ok: false, retryable: true, reason: describeRequestError(error, redactor) };
  }
  const cutOff = response.cutOff === undefined ? undefined : describeRequestError(response.cutOff, redactor);
  return classify(options.format, { ...response, body: redactor.redact(response.body) }, cutOff);
}

/**
 * What of a webhook URL may be its token, in the forms a receiver may quote it: path and query,
 * path alone, each long path segment and query value, user and password, raw and percent-decoded.
 * The origin stays readable (`upstream error for https://host[REDACTED]`).
 */
export function secretPartsOf(url: string): string[] {
  const parsed = new URL(url);
  const { pathname, search, username, password } = parsed;
  const parts = [`${pathname}${search}`, search.slice(1), username, password];
  if (pathname.length > 1) parts.push(pathname);
  const pieces = [...pathname.split('/'), ...[...parsed.searchParams.values()]];
  for (const piece of pieces) if (piece.length >= MIN_TOKEN_PART_CHARS) parts.push(piece);
  const decoded = parts.map((part) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part;
    }
  });
  return [...new Set([...parts, ...decoded])].filter((part) => part !== '');
}

interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
  /** Why the body stopped short (a timeout, a reset) after the status had come. */
  readonly cutOff?: unknown;
}

function request(options: PostOptions): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const stream = got.stream(options.url, {
      method: 'POST',
      body: options.body,
      headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': DEFAULT_USER_AGENT },
      timeout: { request: options.timeoutMs },
      retry: { limit: 0 },
      followRedirect: false,
      throwHttpErrors: false,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    let status = 0;
    let headers: RawResponse['headers'] = {};
    const finish = (): void => resolve({ status, headers, body: Buffer.concat(chunks).toString('utf8') });
    stream.on('response', (response: { statusCode: number; headers: RawResponse['headers'] }) => {
      status = response.statusCode;
      headers = response.headers;
    });
    stream.on('data', (chunk: Buffer) => {
      if (size >= MAX_BODY_BYTES) return;
      chunks.push(chunk.subarray(0, MAX_BODY_BYTES - size));
      size += chunk.length;
      // The status is in hand: the rest of an overlong body is not worth reading.
      if (size >= MAX_BODY_BYTES) {
        stream.destroy();
        finish();
      }
    });
    stream.on('end', finish);
    stream.on('error', (error: Error) => {
      if (size >= MAX_BODY_BYTES) return;
      // The status came, so the receiver has the message and has answered: a body that stalls past
      // the timeout or breaks off only cuts its words short. Failing here would post it again.
      if (status !== 0) return void resolve({ status, headers, body: Buffer.concat(chunks).toString('utf8'), cutOff: error });
      reject(error);
    });
  });
}

function classify(format: NotifyFormat, response: RawResponse, cutOff?: string): DeliveryOutcome {
  const { status, body } = response;
  const words = bound(body.replace(/\s+/g, ' ').trim(), QUOTED_BODY_CHARS);
  const quoted = cutOff === undefined ? words : bound(`${words}${words === '' ? '' : ' '}(answer cut off: ${cutOff})`, QUOTED_BODY_CHARS);
  const said = quoted === '' ? '' : `: ${quoted}`;
  if (status >= 200 && status < 300) {
    if (format === 'feishu') return classifyFeishu(status, body, quoted);
    return { ok: true, status, body: quoted };
  }
  if (status >= 300 && status < 400) {
    return { ok: false, retryable: false, status, reason: `HTTP ${status}: redirects are not followed (use the final URL)${said}` };
  }
  const retryAfterMs = parseRetryAfter(response.headers['retry-after']);
  const retryable = status === 408 || status === 425 || status === 429 || status >= 500;
  return { ok: false, retryable, status, reason: `HTTP ${status}${said}`, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
}

/** Feishu answers 200 to most refusals and says why in `code` (0 is success; older answers: `StatusCode`). */
function classifyFeishu(status: number, body: string, quoted: string): DeliveryOutcome {
  let code: unknown;
  try {
    const parsed = JSON.parse(body) as { code?: unknown; StatusCode?: unknown };
    code = parsed.code ?? parsed.StatusCode;
  } catch {
    // Not JSON (a proxy in between): the HTTP status is all there is to go by.
    return { ok: true, status, body: quoted };
  }
  if (code === undefined || code === 0) return { ok: true, status, body: quoted };
  const reason = `Feishu refused the message (code ${bound(JSON.stringify(code) ?? 'none', 20)}): ${quoted}`;
  if (code === FEISHU_FREQUENCY_LIMITED) return { ok: false, retryable: true, status, reason, retryAfterMs: 60_000 };
  // A wrong signature, a missing keyword, a removed bot: the same message fails the same way again.
  return { ok: false, retryable: false, status, reason };
}

function parseRetryAfter(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined) return undefined;
  const ms = /^\d+$/.test(text.trim()) ? Number(text.trim()) * 1000 : Date.parse(text) - Date.now();
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, MAX_RETRY_AFTER_MS) : undefined;
}

/** got's code and message, with every part of the URL that may be its token taken out. */
function describeRequestError(error: unknown, redactor: SecretRedactor): string {
  const code = error instanceof RequestError ? error.code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return bound(redactor.redact(`${code === undefined ? '' : `${code}: `}${message}`), QUOTED_BODY_CHARS);
}
