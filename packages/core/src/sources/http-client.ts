// The one HTTP client every PyPI source uses: timeouts, bounded retries that honour Retry-After, a body-size cap.

import got, { HTTPError, RequestError, type Got, type Progress, type RetryObject } from 'got';
import type { Logger } from 'pino';
import packageJson from '../../package.json' with { type: 'json' };
import { ConfigError, ResponseTooLargeError, SourceError } from '../errors.js';

export interface HttpClientOptions {
  /** Where PyPI (or a mirror) lives, e.g. `https://pypi.org`; request paths are relative to it. */
  readonly baseUrl: string;
  /** Time allowed for one attempt, connect to last byte. @defaultValue 30000 (ms) */
  readonly timeoutMs?: number;
  /** Extra attempts after a 408/429/5xx answer, a network error or a timeout. @defaultValue 3 */
  readonly retries?: number;
  /** Longest wait before a retry: caps both `Retry-After` and the exponential backoff. @defaultValue 60000 (ms) */
  readonly maxRetryWaitMs?: number;
  /** Largest response body accepted; a bigger one is aborted mid-download. @defaultValue 20971520 (bytes, 20 MiB) */
  readonly maxBodyBytes?: number;
  /** The User-Agent header PyPI sees. @defaultValue `pypi-watch/<version> (+https://gitee.com/openeuler)` */
  readonly userAgent?: string;
  /** Where retries are reported (warn level). @defaultValue no logging */
  readonly logger?: Logger;
}

export const DEFAULT_USER_AGENT = `pypi-watch/${packageJson.version} (+https://gitee.com/openeuler)`;

const MIB = 1024 * 1024;

export function createHttpClient(options: HttpClientOptions): Got {
  const baseUrl = checkBaseUrl(options.baseUrl);
  const timeoutMs = checkCount('timeoutMs', options.timeoutMs ?? 30_000, 1);
  const retries = checkCount('retries', options.retries ?? 3, 0);
  const maxRetryWaitMs = checkCount('maxRetryWaitMs', options.maxRetryWaitMs ?? 60_000, 0);
  const maxBodyBytes = checkCount('maxBodyBytes', options.maxBodyBytes ?? 20 * MIB, 1);
  const logger = options.logger;

  return got.extend({
    prefixUrl: baseUrl,
    headers: { 'user-agent': options.userAgent ?? DEFAULT_USER_AGENT },
    timeout: { request: timeoutMs },
    retry: {
      limit: retries,
      // The XML-RPC calls we POST are reads, so retrying them is as safe as retrying a GET.
      methods: ['GET', 'POST'],
      statusCodes: [408, 429, 500, 502, 503, 504, 521, 522, 524],
      // got gives up outright when Retry-After exceeds maxRetryAfter; we would rather wait the capped time.
      maxRetryAfter: Number.POSITIVE_INFINITY,
      backoffLimit: maxRetryWaitMs,
      calculateDelay: (retry: RetryObject) => {
        if (retry.computedValue === 0) return 0;
        const delayMs = Math.min(retry.computedValue, maxRetryWaitMs);
        logger?.warn(
          {
            attempt: retry.attemptCount,
            delayMs,
            retryAfterMs: retry.retryAfter,
            statusCode: retry.error.response?.statusCode,
            errorCode: retry.error.code,
            url: retry.error.options.url?.toString(),
          },
          'retrying PyPI request',
        );
        return delayMs;
      },
    },
    handlers: [
      (requestOptions, next) => {
        const result = next(requestOptions);
        let tooLarge: ResponseTooLargeError | undefined;
        const onProgress = (progress: Progress): void => {
          // Checking as bytes arrive keeps a runaway body from ever being held in memory whole.
          if (tooLarge || (progress.transferred <= maxBodyBytes && (progress.total ?? 0) <= maxBodyBytes)) return;
          tooLarge = new ResponseTooLargeError(requestOptions.url?.toString() ?? '(unknown url)', maxBodyBytes);
          if ('cancel' in result) result.cancel();
          else result.destroy(tooLarge);
        };
        if (!('cancel' in result)) {
          result.on('downloadProgress', onProgress);
          return result;
        }
        // on() hands back the same promise, which is returned (guarded) below.
        void result.on('downloadProgress', onProgress);
        // got copies its promise helpers onto a promise a handler returns; this one turns
        // the anonymous CancelError of a size abort into the error that says why.
        const guarded = result.catch((error: unknown) => {
          throw tooLarge ?? error;
        });
        return guarded as unknown as typeof result;
      },
    ],
  });
}

export interface TextRequest {
  readonly method: 'GET' | 'POST';
  /** Path relative to the base URL, without a leading slash. */
  readonly path: string;
  readonly searchParams?: Readonly<Record<string, string | number>>;
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Runs one request (with the client's retries) and returns the body, mapping every failure to a SourceError. */
export async function requestText(client: Got, request: TextRequest): Promise<string> {
  return (await requestResponse(client, request)).body;
}

export interface TextResponse {
  readonly statusCode: number;
  readonly body: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/**
 * Like requestText, with the status and headers; a final status listed in `acceptStatus` (e.g. 404
 * for "no such release") is returned instead of thrown. Such statuses are never retried.
 */
export async function requestResponse(client: Got, request: TextRequest, acceptStatus: readonly number[] = []): Promise<TextResponse> {
  try {
    const response = await client(request.path, {
      method: request.method,
      ...(request.searchParams === undefined ? {} : { searchParams: { ...request.searchParams } }),
      ...(request.body === undefined ? {} : { body: request.body }),
      ...(request.headers === undefined ? {} : { headers: { ...request.headers } }),
      responseType: 'text',
    });
    return { statusCode: response.statusCode, body: response.body, headers: response.headers };
  } catch (error) {
    if (error instanceof HTTPError && acceptStatus.includes(error.response.statusCode)) {
      const { statusCode, headers } = error.response;
      const body: unknown = error.response.body;
      return { statusCode, body: typeof body === 'string' ? body : String(body), headers };
    }
    throw toSourceError(error, request);
  }
}

function toSourceError(error: unknown, request: TextRequest): SourceError {
  if (error instanceof SourceError) return error;
  if (!(error instanceof RequestError)) {
    return new SourceError(`${request.method} /${request.path} failed: ${String(error)}`, { cause: error });
  }
  const what = `${request.method} ${error.options.url?.toString() ?? `/${request.path}`}`;
  const attempts = (error.request?.retryCount ?? 0) + 1;
  const detail = error instanceof HTTPError ? `HTTP ${error.response.statusCode}` : `${error.code}: ${error.message}`;
  return new SourceError(`${what} failed after ${attempts} attempt(s): ${detail}`, { cause: error });
}

function checkBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch (error) {
    throw new ConfigError(`Expected \`baseUrl\` to be an absolute http(s) URL, got \`${raw}\``, { cause: error });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`Expected \`baseUrl\` to use http or https, got \`${raw}\``);
  }
  return url.toString().replace(/\/+$/, '');
}

function checkCount(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new ConfigError(`Expected \`${name}\` to be an integer >= ${min}, got \`${value}\``);
  }
  return value;
}
