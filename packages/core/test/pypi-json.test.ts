import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { InvalidInputError, JsonApiFormatError, SourceError } from '../src/errors.js';
import { createReleaseFilesLookup, type ReleaseFilesLookupConfig } from '../src/sources/create-source.js';
import type { PypiJsonClient } from '../src/sources/pypi-json-client.js';
import { FakePypi } from '@pypi-watch/test-utils';

let fake: FakePypi;
let baseUrl: string;

beforeEach(async () => {
  fake = new FakePypi();
  baseUrl = await fake.start();
});

afterEach(async () => {
  await fake.stop();
});

function client(options: Partial<ReleaseFilesLookupConfig> = {}): PypiJsonClient {
  return createReleaseFilesLookup({ baseUrl, maxRetryWaitMs: 1, pauseMs: 0, ...options });
}

describe('PypiJsonClient against the fake PyPI', () => {
  test('an sdist-only upload has its sdist; the serial and upload time come along', async () => {
    fake.publish([{ name: 'alpha', version: '1.0', timestamp: 1_775_100_000 }]);
    const files = await client().lookup('alpha', '1.0');
    expect(files).toEqual({ found: true, hasSdist: true, yanked: false, lastSerial: fake.lastSerial, firstUploadAt: expect.any(Number) });
    // upload_time_iso_8601 has microseconds; the upload was in that second.
    expect(files.firstUploadAt! - 1_775_100_000_000).toBeGreaterThanOrEqual(0);
    expect(files.firstUploadAt! - 1_775_100_000_000).toBeLessThan(1000);
    expect(fake.requests.map((request) => request.path)).toEqual(['/pypi/alpha/1.0/json']);
  });

  test('a wheel-only release waits; the sdist that comes later makes it buildable', async () => {
    fake.publish([{ name: 'beta', version: '2.0', files: ['bdist_wheel'] }]);
    expect(await client().lookup('beta', '2.0')).toMatchObject({ found: true, hasSdist: false });
    fake.addFile('beta', '2.0', 'sdist');
    expect(await client().lookup('beta', '2.0')).toMatchObject({ found: true, hasSdist: true, lastSerial: fake.lastSerial });
  });

  test('unknown, removed and quarantined releases are not found; a cleared quarantine and an unyank bring them back', async () => {
    fake.publish([
      { name: 'gone', version: '1.0' },
      { name: 'gone-project', version: '1.0' },
      { name: 'held', version: '1.0' },
      { name: 'yanky', version: '1.0' },
    ]);
    fake.removeRelease('gone', '1.0');
    fake.removeProject('gone-project');
    fake.quarantineProject('held');
    fake.yank('yanky', '1.0', { reason: 'broken build' });
    const json = client();
    expect(await json.lookup('never-was', '1.0')).toEqual({ found: false, hasSdist: false, yanked: false });
    expect(await json.lookup('alpha-not', '1.0')).toMatchObject({ found: false });
    expect(await json.lookup('gone', '1.0')).toMatchObject({ found: false });
    expect(await json.lookup('gone-project', '1.0')).toMatchObject({ found: false });
    expect(await json.lookup('held', '1.0')).toMatchObject({ found: false });
    // A yanked release's files are yanked with it, so its sdist does not count.
    expect(await json.lookup('yanky', '1.0')).toMatchObject({ found: true, yanked: true, hasSdist: false });
    fake.clearProjectQuarantine('held');
    fake.unyank('yanky', '1.0');
    expect(await json.lookup('held', '1.0')).toMatchObject({ found: true, hasSdist: true });
    expect(await json.lookup('yanky', '1.0')).toMatchObject({ found: true, yanked: false, hasSdist: true });
  });

  test('a stale page says so through X-PyPI-Last-Serial', async () => {
    fake.publish([{ name: 'cached', version: '1.0', files: ['bdist_wheel'] }]);
    fake.setJsonStale('cached', true);
    fake.addFile('cached', '1.0', 'sdist');
    const sdistSerial = fake.lastSerial;
    const stale = await client().lookup('cached', '1.0');
    expect(stale).toMatchObject({ found: true, hasSdist: false });
    expect(stale.lastSerial).toBeLessThan(sdistSerial);
    fake.setJsonStale('cached', false);
    expect(await client().lookup('cached', '1.0')).toMatchObject({ hasSdist: true, lastSerial: sdistSerial });
  });

  test('a non-normalized name follows PyPI’s redirect to the normalized one', async () => {
    fake.publish([{ name: 'Django_Thing', version: '3.1' }]);
    expect(await client().lookup('Django_Thing', '3.1')).toMatchObject({ found: true, hasSdist: true });
    expect(fake.requests.map((request) => request.path)).toEqual(['/pypi/Django_Thing/3.1/json', '/pypi/django-thing/3.1/json']);
  });

  test('names and versions go into the path encoded; dot-only or empty ones are refused before any request', async () => {
    await expect(client().lookup('a/b?c', '1.0#x')).resolves.toMatchObject({ found: false });
    expect(fake.requests.map((request) => request.path)).toEqual(['/pypi/a%2Fb%3Fc/1.0%23x/json']);
    for (const [name, version] of [
      ['..', '1.0'],
      ['ok', '.'],
      ['', '1.0'],
      ['x'.repeat(501), '1.0'],
    ] as const) {
      await expect(client().lookup(name, version)).rejects.toBeInstanceOf(InvalidInputError);
    }
    expect(fake.requests).toHaveLength(1);
  });

  test('429 and 5xx are retried through the shared client; past the retries a SourceError names the status', async () => {
    fake.publish([{ name: 'busy', version: '1.0' }]);
    fake.failNext('429');
    fake.failNext('500');
    expect(await client().lookup('busy', '1.0')).toMatchObject({ found: true });
    expect(fake.requests).toHaveLength(3);
    fake.failNext('500', 10);
    const error = await client({ retries: 1 })
      .lookup('busy', '1.0')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as Error).message).toMatch(/HTTP 500/);
  });

  test('the fake answers with warehouse’s field names', async () => {
    fake.publish([{ name: 'shape', version: '1.0', files: ['bdist_wheel', 'sdist'] }]);
    const response = await fetch(`${baseUrl}/pypi/shape/1.0/json`);
    const body = (await response.json()) as { info: Record<string, unknown>; urls: Record<string, unknown>[] };
    expect(response.headers.get('x-pypi-last-serial')).toBe(String(fake.lastSerial));
    expect(Object.keys(body).sort()).toEqual(['info', 'last_serial', 'urls', 'vulnerabilities']);
    expect(body.info).toMatchObject({ name: 'shape', version: '1.0', yanked: false, yanked_reason: null });
    expect(body.urls.map((file) => [file['filename'], file['packagetype'], file['python_version']])).toEqual([
      ['shape-1.0-py3-none-any.whl', 'bdist_wheel', 'py3'],
      ['shape-1.0.tar.gz', 'sdist', 'source'],
    ]);
    expect(Object.keys(body.urls[0]!).sort()).toEqual(
      [
        'comment_text',
        'digests',
        'downloads',
        'filename',
        'has_sig',
        'md5_digest',
        'packagetype',
        'python_version',
        'requires_python',
        'size',
        'upload_time',
        'upload_time_iso_8601',
        'url',
        'yanked',
        'yanked_reason',
      ].sort(),
    );
    expect(body.urls[0]!['upload_time_iso_8601']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });
});

describe('PypiJsonClient against a hostile server', () => {
  let server: Server;
  let hostileUrl: string;
  let reply: { status: number; body: string; headers?: Record<string, string> };
  let inFlight = 0;
  let maxInFlight = 0;
  let delayMs = 0;

  beforeEach(async () => {
    reply = { status: 200, body: '{}' };
    inFlight = 0;
    maxInFlight = 0;
    delayMs = 0;
    server = createServer((_request, response) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      setTimeout(() => {
        inFlight--;
        response.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
        response.end(reply.body);
      }, delayMs);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    hostileUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test.each([
    ['not JSON', '<html>Service Unavailable</html>', /not JSON/],
    ['wrong types', '{"info": {"yanked": "no"}, "urls": []}', /info\.yanked/],
    ['urls not a list', '{"info": {}, "urls": {"packagetype": "sdist"}}', /urls/],
    ['a file without packagetype', '{"info": {}, "urls": [{"filename": "x.tar.gz"}]}', /urls\.0\.packagetype/],
    ['null', 'null', /not a PyPI release/],
  ])('%s is a JsonApiFormatError, not a crash', async (_what, body, message) => {
    reply = { status: 200, body };
    const error = await createReleaseFilesLookup({ baseUrl: hostileUrl, pauseMs: 0 })
      .lookup('x', '1.0')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(JsonApiFormatError);
    expect(error).toMatchObject({ code: 'ERR_JSON_API_FORMAT' });
    expect((error as Error).message).toMatch(message);
  });

  test('an unreadable X-PyPI-Last-Serial is left out with a warning; odd upload times are skipped', async () => {
    const logs: Record<string, unknown>[] = [];
    const logger = pino({}, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
    reply = {
      status: 200,
      body: JSON.stringify({
        info: { yanked: false },
        urls: [
          { packagetype: 'sdist', upload_time_iso_8601: 'soon' },
          { packagetype: 'bdist_wheel', upload_time_iso_8601: null },
        ],
      }),
      headers: { 'x-pypi-last-serial': '12; drop table' },
    };
    const result = await createReleaseFilesLookup({ baseUrl: hostileUrl, pauseMs: 0, logger }).lookup('x', '1.0');
    expect(result).toEqual({ found: true, hasSdist: true, yanked: false });
    expect(logs).toContainEqual(expect.objectContaining({ level: 40, header: '"12; drop table"' }));
  });

  test('at most `concurrency` lookups are in flight, each slot pausing between calls', async () => {
    reply = { status: 200, body: JSON.stringify({ info: {}, urls: [] }) };
    delayMs = 30;
    const json = createReleaseFilesLookup({ baseUrl: hostileUrl, concurrency: 2, pauseMs: 50 });
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 6 }, (_, index) => json.lookup(`p${index}`, '1.0')));
    expect(results.every((result) => result.found)).toBe(true);
    expect(maxInFlight).toBe(2);
    // 3 rounds of (30 ms answer) with 2 pauses of 50 ms between them in each slot.
    expect(Date.now() - started).toBeGreaterThanOrEqual(3 * 30 + 2 * 50 - 10);
  });
});
