// PyPI's JSON API for one release (`GET {base}/pypi/NAME/VERSION/json`): is there an sdist yet, is it
// yanked, and which serial does the (CDN-cached) page reflect. The sdist gate's second opinion.

import { setTimeout as sleep } from 'node:timers/promises';
import type { Got } from 'got';
import type { Logger } from 'pino';
import { z } from '#zod';
import { InvalidInputError, JsonApiFormatError } from '../errors.js';
import { requestResponse } from './http-client.js';
import type { ReleaseFiles, ReleaseFilesLookup } from './release-files.js';
import { describeRaw } from './release-source.js';

export interface PypiJsonClientOptions {
  /** HTTP client (from createHttpClient) whose base URL is PyPI's: timeouts, retries, body cap, User-Agent. */
  readonly http: Got;
  /** Lookups in flight at once. @defaultValue 4 */
  readonly concurrency?: number;
  /** Pause a slot takes after each lookup before the next, to stay polite to PyPI. @defaultValue 250 (ms) */
  readonly pauseMs?: number;
  /** Where unusable headers are reported (warn level). @defaultValue no logging */
  readonly logger?: Logger;
}

// Only what deciding a build needs; everything else in PyPI's answer is ignored. Fields that older
// warehouse versions did not send (`yanked`, `upload_time_iso_8601`) are optional.
const fileSchema = z.object({
  packagetype: z.string(),
  yanked: z.boolean().optional(),
  upload_time_iso_8601: z.string().nullish(),
});
const releaseSchema = z.object({
  info: z.object({ yanked: z.boolean().optional() }),
  urls: z.array(fileSchema),
});

/** Longer names or versions than this are not PyPI's, and would only make a silly URL. */
const MAX_SEGMENT_CHARS = 500;

export class PypiJsonClient implements ReleaseFilesLookup {
  readonly #http: Got;
  readonly #concurrency: number;
  readonly #pauseMs: number;
  readonly #logger: Logger | undefined;
  #active = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(options: PypiJsonClientOptions) {
    this.#http = options.http;
    this.#concurrency = Math.max(1, options.concurrency ?? 4);
    this.#pauseMs = Math.max(0, options.pauseMs ?? 250);
    this.#logger = options.logger;
  }

  async lookup(name: string, version: string): Promise<ReleaseFiles> {
    const path = `pypi/${segment('name', name)}/${segment('version', version)}/json`;
    await this.#acquire();
    try {
      return await this.#lookup(path);
    } finally {
      void this.#release();
    }
  }

  async #lookup(path: string): Promise<ReleaseFiles> {
    // PyPI answers a non-normalized name with a 301 to the normalized one; got follows it.
    const response = await requestResponse(this.#http, { method: 'GET', path, headers: { accept: 'application/json' } }, [404]);
    const lastSerial = this.#lastSerial(response.headers['x-pypi-last-serial'], path);
    if (response.statusCode === 404) {
      return { found: false, hasSdist: false, yanked: false, ...(lastSerial === undefined ? {} : { lastSerial }) };
    }
    let json: unknown;
    try {
      json = JSON.parse(response.body);
    } catch (error) {
      throw new JsonApiFormatError(`GET /${path} returned a body that is not JSON: ${describeRaw(response.body.slice(0, 200))}`, {
        cause: error,
      });
    }
    const parsed = releaseSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue === undefined ? '' : ` at ${issue.path.join('.') || '(root)'}: ${issue.message}`;
      throw new JsonApiFormatError(`GET /${path} returned JSON that is not a PyPI release${where}`, { cause: parsed.error });
    }
    const { info, urls } = parsed.data;
    // A loop, not Math.min(...): a hostile answer may list more files than a call has arguments.
    let firstUploadAt = Number.POSITIVE_INFINITY;
    for (const file of urls)
      firstUploadAt = Math.min(firstUploadAt, Date.parse(file.upload_time_iso_8601 ?? '') || Number.POSITIVE_INFINITY);
    return {
      found: true,
      hasSdist: urls.some((file) => file.packagetype === 'sdist' && file.yanked !== true),
      yanked: info.yanked === true,
      ...(lastSerial === undefined ? {} : { lastSerial }),
      ...(Number.isFinite(firstUploadAt) ? { firstUploadAt } : {}),
    };
  }

  #lastSerial(header: string | string[] | undefined, path: string): number | undefined {
    if (header === undefined) return undefined;
    const text = Array.isArray(header) ? header[0] : header;
    if (text !== undefined && /^\d{1,15}$/.test(text.trim())) return Number(text.trim());
    this.#logger?.warn(
      { path, header: describeRaw(header) },
      'PyPI JSON answer has an unreadable X-PyPI-Last-Serial; treating its freshness as unknown',
    );
    return undefined;
  }

  async #acquire(): Promise<void> {
    if (this.#active < this.#concurrency) {
      this.#active++;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  async #release(): Promise<void> {
    if (this.#pauseMs > 0) await sleep(this.#pauseMs);
    const next = this.#waiting.shift();
    // The slot passes straight to the next waiter; with none, it frees up.
    if (next) next();
    else this.#active--;
  }
}

/** One path segment. The caller validated it already; a name like `..` must still never leave /pypi/. */
function segment(what: 'name' | 'version', value: string): string {
  if (typeof value !== 'string' || value === '' || value.length > MAX_SEGMENT_CHARS || /^\.+$/.test(value)) {
    throw new InvalidInputError(`Expected a release ${what} to look up on PyPI, got ${describeRaw(value)}`);
  }
  return encodeURIComponent(value);
}
