// Builds the configured release source, and the JSON API client, each with its HTTP client, from plain options.

import type { Logger } from 'pino';
import { ChangelogSource, type ChangelogSourceOptions } from './changelog-source.js';
import { createHttpClient, type HttpClientOptions } from './http-client.js';
import { PypiJsonClient, type PypiJsonClientOptions } from './pypi-json-client.js';
import { RssSource, type RssSourceOptions } from './rss-source.js';
import { XmlRpcClient, type XmlRpcClientOptions } from './xml-rpc-client.js';

interface CommonSourceOptions extends Omit<HttpClientOptions, 'logger'> {
  /** Gets retry, back-off and cap warnings from the HTTP client and the source. @defaultValue no logging */
  readonly logger?: Logger;
}

export interface ChangelogSourceConfig
  extends CommonSourceOptions,
    Omit<ChangelogSourceOptions, 'rpc' | 'logger'>,
    Omit<XmlRpcClientOptions, 'http' | 'logger'> {
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

/** Drops undefined fields, which exactOptionalPropertyTypes will not let us pass through as "unset". */
function defined<T extends Record<string, unknown>>(fields: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
