// Calls PyPI's XML-RPC endpoint, backing off when PyPI answers with its rate-limit fault.

import { setTimeout as sleep } from 'node:timers/promises';
import type { Got } from 'got';
import type { Logger } from 'pino';
import { requestText } from './http-client.js';
import { XmlRpcFaultError } from '../errors.js';
import { decodeArrayResponse, decodeMethodResponse, encodeMethodCall, type XmlRpcValue } from './xml-rpc.js';

export interface XmlRpcClientOptions {
  /** The HTTP client (from createHttpClient), which already retries HTTP 429/5xx and network errors. */
  readonly http: Got;
  /** Endpoint path relative to the client's base URL. @defaultValue `pypi` */
  readonly path?: string;
  /** Extra attempts after a rate-limit fault (-32500 HTTPTooManyRequests). @defaultValue 3 */
  readonly rateLimitRetries?: number;
  /** Wait before the first retry after a rate-limit fault, doubled each time. @defaultValue 2000 (ms) */
  readonly rateLimitBackoffMs?: number;
  /** Longest single wait after a rate-limit fault. @defaultValue 60000 (ms) */
  readonly maxRateLimitWaitMs?: number;
  /** Where rate-limit back-offs are reported (warn level). @defaultValue no logging */
  readonly logger?: Logger;
}

/** PyPI answers over-eager XML-RPC clients with HTTP 200 and this fault instead of a 429. */
export const RATE_LIMIT_FAULT_CODE = -32500;

export function isRateLimitFault(error: unknown): error is XmlRpcFaultError {
  return error instanceof XmlRpcFaultError && error.faultCode === RATE_LIMIT_FAULT_CODE && error.faultString.includes('TooManyRequests');
}

export class XmlRpcClient {
  readonly #http: Got;
  readonly #path: string;
  readonly #retries: number;
  readonly #backoffMs: number;
  readonly #maxWaitMs: number;
  readonly #logger: Logger | undefined;

  constructor(options: XmlRpcClientOptions) {
    this.#http = options.http;
    this.#path = options.path ?? 'pypi';
    this.#retries = options.rateLimitRetries ?? 3;
    this.#backoffMs = options.rateLimitBackoffMs ?? 2000;
    this.#maxWaitMs = options.maxRateLimitWaitMs ?? 60_000;
    this.#logger = options.logger;
  }

  async call(methodName: string, params: readonly XmlRpcValue[] = []): Promise<XmlRpcValue> {
    return this.#call(methodName, params, (xml) => decodeMethodResponse(xml, methodName));
  }

  /**
   * A call whose answer should be an array, its items handed to `onItem` as they are decoded (see
   * decodeArrayResponse); undefined for an array, else the value. A rate-limit fault comes before any
   * item, so a retried call never hands one over twice; a call that throws may have handed some over.
   */
  async callForEach(
    methodName: string,
    params: readonly XmlRpcValue[],
    onItem: (item: XmlRpcValue) => void,
  ): Promise<XmlRpcValue | undefined> {
    return this.#call(methodName, params, (xml) => decodeArrayResponse(xml, methodName, onItem));
  }

  async #call<T>(methodName: string, params: readonly XmlRpcValue[], decode: (xml: string) => T): Promise<T> {
    const body = encodeMethodCall(methodName, params);
    for (let attempt = 1; ; attempt++) {
      const xml = await requestText(this.#http, {
        method: 'POST',
        path: this.#path,
        body,
        headers: { 'content-type': 'text/xml' },
      });
      try {
        return decode(xml);
      } catch (error) {
        if (!isRateLimitFault(error) || attempt > this.#retries) throw error;
        const delayMs = this.#delayFor(attempt, error.faultString);
        this.#logger?.warn({ method: methodName, attempt, delayMs, fault: error.faultString }, 'PyPI XML-RPC rate limit, backing off');
        await sleep(delayMs);
      }
    }
  }

  #delayFor(attempt: number, faultString: string): number {
    const backoff = this.#backoffMs * 2 ** (attempt - 1);
    // PyPI says when the window resets ("Limit may reset in 12 seconds"); waiting less just earns another fault.
    const resetSeconds = /reset in (\d+) seconds?/i.exec(faultString)?.[1];
    const hinted = resetSeconds === undefined ? 0 : Number(resetSeconds) * 1000;
    return Math.min(Math.max(backoff, hinted), this.#maxWaitMs);
  }
}
