// Builds the configured release source, and the JSON API client, each with its HTTP client: from
// `source` in the config (what the poller uses), or from plain options (tests, bench).
//
// A new source (a third PyPI mode, another registry) is a class implementing ReleaseSource in this
// folder, its name in SOURCE_TYPES (release-source.ts), a case in sourceFromConfig below, and its
// options in config/config-schema.ts: the poll, the gate and the CLI take it from there.

import type { Logger } from 'pino';
import type { Config } from '../config/load-config.js';
import { UsageError } from '../errors.js';
import { ChangelogSource, type ChangelogSourceOptions } from './changelog-source.js';
import { createHttpClient, type HttpClientOptions } from './http-client.js';
import { PypiJsonClient, type PypiJsonClientOptions } from './pypi-json-client.js';
import type { ReleaseSource } from './release-source.js';
import { RssSource, type RssSourceOptions } from './rss-source.js';
import { XmlRpcClient, type XmlRpcClientOptions } from './xml-rpc-client.js';

interface CommonSourceOptions extends Omit<HttpClientOptions, 'logger'> {
  /** Gets retry, back-off and cap warnings from the HTTP client and the source. @defaultValue no logging */
  readonly logger?: Logger;
}

export interface ChangelogSourceConfig
  extends CommonSourceOptions, Omit<ChangelogSourceOptions, 'rpc' | 'logger'>, Omit<XmlRpcClientOptions, 'http' | 'logger'> {
  readonly type: 'changelog';
}

export interface RssSourceConfig extends CommonSourceOptions, Omit<RssSourceOptions, 'http' | 'logger' | 'now'> {
  readonly type: 'rss';
}

/** Options for the JSON API client: the same HTTP options as the sources, plus its own pacing. */
export interface ReleaseFilesLookupConfig extends CommonSourceOptions, Omit<PypiJsonClientOptions, 'http' | 'logger'> {}

export type ReleaseSourceConfig = ChangelogSourceConfig | RssSourceConfig;

export function createReleaseSource(config: ChangelogSourceConfig): ChangelogSource;
export function createReleaseSource(config: RssSourceConfig): RssSource;
export function createReleaseSource(config: ReleaseSourceConfig): ChangelogSource | RssSource;
export function createReleaseSource(config: ReleaseSourceConfig): ChangelogSource | RssSource {
  const { baseUrl, timeoutMs, retries, maxRetryWaitMs, maxBodyBytes, userAgent, logger } = config;
  const http = createHttpClient({ baseUrl, ...defined({ timeoutMs, retries, maxRetryWaitMs, maxBodyBytes, userAgent, logger }) });
  if (config.type === 'rss') {
    const { path, maxClockSkewSeconds } = config;
    return new RssSource({ http, ...defined({ path, maxClockSkewSeconds, logger }) });
  }
  const { path, rateLimitRetries, rateLimitBackoffMs, maxRateLimitWaitMs, pauseMs, maxPages } = config;
  const rpc = new XmlRpcClient({ http, ...defined({ path, rateLimitRetries, rateLimitBackoffMs, maxRateLimitWaitMs, logger }) });
  return new ChangelogSource({ rpc, ...defined({ pauseMs, maxPages, logger }) });
}

/** PyPI's JSON API as the sdist gate's ReleaseFilesLookup, over its own HTTP client with the same options as the source. */
export function createReleaseFilesLookup(config: ReleaseFilesLookupConfig): PypiJsonClient {
  const { baseUrl, timeoutMs, retries, maxRetryWaitMs, maxBodyBytes, userAgent, logger, concurrency, pauseMs } = config;
  const http = createHttpClient({ baseUrl, ...defined({ timeoutMs, retries, maxRetryWaitMs, maxBodyBytes, userAgent, logger }) });
  return new PypiJsonClient({ http, ...defined({ concurrency, pauseMs, logger }) });
}

/** The source `source.type` names, with the HTTP options of `source`. */
export function sourceFromConfig(source: Config['source'], logger: Logger): ReleaseSource<unknown> {
  const { baseUrl, timeout: timeoutMs, retries } = source;
  switch (source.type) {
    case 'changelog':
      return createReleaseSource({
        type: 'changelog',
        baseUrl,
        timeoutMs,
        retries,
        maxPages: source.maxPages,
        pauseMs: source.pagePause,
        logger,
      });
    case 'rss':
      return createReleaseSource({ type: 'rss', baseUrl, timeoutMs, retries, logger });
  }
}

/** The sdist gate's JSON API client, on the same PyPI and HTTP options as the source. */
export function releaseFilesLookupFromConfig(source: Config['source'], logger: Logger): PypiJsonClient {
  return createReleaseFilesLookup({ baseUrl: source.baseUrl, timeoutMs: source.timeout, retries: source.retries, logger });
}

/** Where `poll --since SERIAL` starts; a UsageError for a source without serials. */
export function cursorAtSerial(source: ReleaseSource<unknown>, serial: number): unknown {
  if (!source.cursorAtSerial) throw new UsageError(`--since takes a changelog serial; the configured source.type is ${source.type}`);
  return source.cursorAtSerial(serial);
}

/** Drops undefined fields, which exactOptionalPropertyTypes will not let us pass through as "unset". */
function defined<T extends Record<string, unknown>>(fields: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
