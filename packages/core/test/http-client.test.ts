import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { ConfigError, ResponseTooLargeError, SourceError } from '../src/errors.js';
import { createHttpClient, DEFAULT_USER_AGENT, requestText, type HttpClientOptions } from '../src/sources/http-client.js';
import { FakePypi } from '@pypi-watch/test-utils';

let fake: FakePypi;
let baseUrl: string;

beforeEach(async () => {
  fake = new FakePypi();
  baseUrl = await fake.start();
  fake.publishGenerated(3);
});

afterEach(async () => {
  await fake.stop();
});

function captureLogs(): { logger: pino.Logger; logs: Record<string, unknown>[] } {
  const logs: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, logs };
}

function client(options: Partial<HttpClientOptions> = {}) {
  return createHttpClient({ baseUrl, maxRetryWaitMs: 5, ...options });
}

const getFeed = { method: 'GET', path: 'rss/updates.xml' } as const;

describe('createHttpClient', () => {
  test('sends the pypi-watch User-Agent', async () => {
    const seen: string[] = [];
    const http = client().extend({ hooks: { beforeRequest: [(options) => void seen.push(String(options.headers['user-agent']))] } });
    await requestText(http, getFeed);
    expect(seen).toEqual([DEFAULT_USER_AGENT]);
    expect(DEFAULT_USER_AGENT).toMatch(/^pypi-watch\/\d+\.\d+\.\d+ \(\+https:\/\/gitee\.com\/openeuler\)$/);
  });

  test('a 429 is retried, honouring Retry-After up to the cap', async () => {
    const { logger, logs } = captureLogs();
    fake.retryAfterSeconds = 7;
    fake.failNext('429');
    const body = await requestText(client({ logger, maxRetryWaitMs: 20 }), getFeed);
    expect(body).toContain('<title>pkg-1005 1.0.2</title>'); // 2 events a release: new release + sdist
    expect(fake.requests).toHaveLength(2);
    const retry = logs.find((entry) => entry['msg'] === 'retrying PyPI request');
    expect(retry).toMatchObject({ statusCode: 429, retryAfterMs: 7000, delayMs: 20, attempt: 1 });
  });

  test('POST is retried too (XML-RPC reads are idempotent)', async () => {
    fake.failNext('500', 2);
    const body = await requestText(client(), {
      method: 'POST',
      path: 'pypi',
      body: '<?xml version="1.0"?><methodCall><methodName>changelog_last_serial</methodName><params/></methodCall>',
    });
    expect(body).toContain(`<int>${fake.lastSerial}</int>`);
    expect(fake.requests.map((request) => request.method)).toEqual(['POST', 'POST', 'POST']);
  });

  test('connection resets and stalls are retried', async () => {
    fake.failNext('reset');
    fake.failNext('stall');
    const body = await requestText(client({ timeoutMs: 300 }), getFeed);
    expect(body).toContain('<rss version="2.0">');
    expect(fake.requests).toHaveLength(3);
  });

  test('gives up after `retries` extra attempts with a SourceError naming the status', async () => {
    fake.failNext('500', 10);
    const error = await requestText(client({ retries: 2 }), getFeed).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).code).toBe('ERR_SOURCE');
    expect((error as SourceError).message).toMatch(
      /GET http:\/\/127\.0\.0\.1:\d+\/rss\/updates\.xml failed after 3 attempt\(s\): HTTP 500/,
    );
    expect(fake.requests).toHaveLength(3);
  });

  test('a body past maxBodyBytes is aborted mid-stream, not retried', async () => {
    fake.failNext('huge');
    const error = await requestText(client({ maxBodyBytes: 256 * 1024 }), getFeed).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ResponseTooLargeError);
    expect(error).toMatchObject({ code: 'ERR_SOURCE_RESPONSE_TOO_LARGE', limitBytes: 256 * 1024 });
    expect(fake.requests).toHaveLength(1);
  });

  test('a declared Content-Length past maxBodyBytes fails, also after a retry', async () => {
    fake.failNext('500');
    const error = await requestText(client({ maxBodyBytes: 100 }), getFeed).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ResponseTooLargeError);
    expect(fake.requests).toHaveLength(2);
  });

  test('rejects bad options with the option name', () => {
    expect(() => createHttpClient({ baseUrl: 'ftp://example.org' })).toThrow(ConfigError);
    expect(() => createHttpClient({ baseUrl: 'not a url' })).toThrow(/`baseUrl`/);
    expect(() => createHttpClient({ baseUrl, timeoutMs: 0 })).toThrow(/`timeoutMs` to be an integer >= 1, got `0`/);
    expect(() => createHttpClient({ baseUrl, retries: -1 })).toThrow(/`retries`/);
  });
});
