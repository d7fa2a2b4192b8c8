// DNS rebinding and CSRF through the real dashboard: forged Host, Origin and Sec-Fetch-Site headers sent with node:http.

import { connect } from 'node:net';
import { ConfigError } from '@pypi-watch/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestSetup } from '@pypi-watch/test-utils';
import { createDashboardHarness, createLockedDashboardHarness, OPERATOR_AUTH, type DashboardHarness } from './support/dashboard-harness.js';
import { rawRequest, type RawRequest } from './support/raw-request.js';

const PUBLIC_NAME = 'dashboard.example.org';
const COMPOSE_PEER_NAME = 'pypi_watch_dashboard';
const ADD = '/ui/api/queues/submit/add';
const JOB = JSON.stringify({ name: 'forged', data: { name: 'evil', normalized: 'evil', version: '6.6.6' }, options: {} });

let open: DashboardHarness;
let locked: DashboardHarness;

beforeAll(async () => {
  open = await createDashboardHarness({ config: { dashboard: { allowedHosts: [PUBLIC_NAME, COMPOSE_PEER_NAME] } } });
  locked = await createLockedDashboardHarness();
}, 60_000);

afterAll(async () => {
  await open?.close();
  await locked?.close();
});

const port = (h: DashboardHarness) => new URL(h.dashboard.url).port;
const send = (h: DashboardHarness, req: RawRequest) => rawRequest(h.dashboard.url, req);
const submitJobs = async (h: DashboardHarness) => Object.values(await h.runtime.queues.submit.getJobCounts()).reduce((a, b) => a + b, 0);

describe('DNS rebinding: only our own Host names are answered', () => {
  test.each([
    'evil.example',
    `evil.example:${3000}`,
    'evil.localhost',
    '127.0.0.1.evil.example',
    '10.0.0.5',
    '0.0.0.0',
    'localhost@evil.example',
    'evil.example:99999',
    '[::1]evil',
  ])('Host %j gets 421 on every route, without a password', async (host) => {
    for (const path of [
      '/',
      '/api/overview',
      '/assets/overview.js',
      '/assets/console.css',
      '/ui/',
      '/ui/api/queues',
      '/healthz',
      '/metrics',
      '/report',
      '/why?name=x',
      '/nowhere',
    ]) {
      const response = await send(open, { path, headers: { host } });
      expect(response.status, `${host} ${path}`).toBe(421);
      expect(response.headers['content-type']).toMatch(/^text\/plain/);
      expect(response.body).not.toContain('queues');
      expect(response.body).not.toContain(host);
    }
  });

  test('an HTTP/1.0 request without any Host header gets 421', async () => {
    const socket = connect(Number(port(open)), '127.0.0.1');
    socket.end('GET /ui/api/queues HTTP/1.0\r\n\r\n');
    let text = '';
    for await (const chunk of socket) text += String(chunk);
    expect(text).toMatch(/^HTTP\/1\.1 421 /);
  });

  test('a rebound page cannot add a job, even with a JSON body from its own origin', async () => {
    const before = await submitJobs(open);
    const response = await send(open, {
      method: 'POST',
      path: ADD,
      headers: {
        host: `evil.example:${port(open)}`,
        origin: `http://evil.example:${port(open)}`,
        'sec-fetch-site': 'same-origin',
        'content-type': 'application/json',
      },
      body: JOB,
    });
    expect(response.status).toBe(421);
    expect(await submitJobs(open)).toBe(before);
  });

  test('a forged Host with the right password is refused too', async () => {
    const authorization = OPERATOR_AUTH.authorization;
    expect((await send(locked, { path: '/ui/api/queues', headers: { authorization } })).status).toBe(200);
    expect((await send(locked, { path: '/ui/api/queues', headers: { host: 'evil.example', authorization } })).status).toBe(421);
    expect((await send(locked, { path: '/healthz', headers: { host: 'evil.example' } })).status).toBe(421);
  });

  test.each([
    'localhost',
    'LOCALHOST',
    'localhost:PORT',
    '127.0.0.1',
    '127.0.0.1:PORT',
    '127.42.0.9:PORT',
    '[::1]',
    '[::1]:PORT',
    'localhost.:PORT',
    PUBLIC_NAME,
    `${PUBLIC_NAME.toUpperCase()}:443`,
    `${COMPOSE_PEER_NAME}:3000`,
  ])('Host %j is answered', async (host) => {
    const response = await send(open, { path: '/ui/api/queues', headers: { host: host.replace('PORT', port(open)) } });
    expect(response.status).toBe(200);
    expect((await send(open, { path: '/healthz', headers: { host: host.replace('PORT', port(open)) } })).status).toBe(200);
  });

  test('allowedHosts without a password is logged as a warning at start', () => {
    expect(open.logs.lines).toContainEqual(
      expect.objectContaining({
        level: 40,
        allowedHosts: [PUBLIC_NAME, COMPOSE_PEER_NAME],
        msg: expect.stringMatching(/DASHBOARD_PASSWORD/),
      }),
    );
    expect(locked.logs.lines.filter((line) => line.level === 40)).toEqual([]);
  });

  test('the configured name is answered only by the dashboard that lists it', async () => {
    expect((await send(locked, { path: '/healthz', headers: { host: PUBLIC_NAME } })).status).toBe(421);
  });
});

describe('dashboard.allowedHosts', () => {
  test.each(['https://dashboard.example.org', 'dashboard.example.org:443', 'dashboard.example.org/ui', '*.example.org', '', 'a b'])(
    '%j is a config error naming the key',
    async (name) => {
      const refused = createTestSetup({ dashboard: { allowedHosts: [name] } });
      await expect(refused).rejects.toBeInstanceOf(ConfigError);
      await expect(refused).rejects.toThrow(/dashboard\.allowedHosts\.0.*host name/);
    },
  );

  test('defaults to none', async () => {
    const setup = await createTestSetup({});
    expect(setup.config.dashboard.allowedHosts).toEqual([]);
    await setup.remove();
  });
});

describe('CSRF: state changes only from our own origin, with JSON', () => {
  const self = (h: DashboardHarness) => `http://127.0.0.1:${port(h)}`;

  test('a cross-site text/plain form post to add a job fails and adds nothing', async () => {
    const before = await submitJobs(open);
    // What `<form enctype="text/plain" method="post" action="http://127.0.0.1:3000/ui/api/queues/submit/add">` sends.
    const response = await send(open, {
      method: 'POST',
      path: ADD,
      headers: {
        origin: 'https://evil.example',
        'sec-fetch-site': 'cross-site',
        'sec-fetch-mode': 'navigate',
        'content-type': 'text/plain',
      },
      body: JOB,
    });
    expect(response.status).toBe(403);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(await submitJobs(open)).toBe(before);
  });

  test("a cross-site post to the console's pages is refused before any route sees it", async () => {
    for (const path of ['/', '/api/overview', '/report', '/why?name=x', '/assets/overview.js']) {
      const response = await send(open, {
        method: 'POST',
        path,
        headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site', 'content-type': 'text/plain' },
        body: 'x',
      });
      expect(response.status, path).toBe(403);
    }
    // The same reads from our own origin are answered.
    for (const path of ['/', '/api/overview', '/assets/overview.js'])
      expect((await send(open, { path, headers: { 'sec-fetch-site': 'same-origin' } })).status, path).toBe(200);
  });

  test.each([
    ['cross-site by Sec-Fetch-Site only', { 'sec-fetch-site': 'cross-site' }, 403],
    ['same-site (a sibling name) by Sec-Fetch-Site', { 'sec-fetch-site': 'same-site' }, 403],
    ['another origin, no Sec-Fetch-Site (an older browser)', { origin: 'http://evil.example' }, 403],
    ['another port on our host', { origin: 'http://127.0.0.1:1' }, 403],
    ['another scheme on our host', { origin: 'ftp://127.0.0.1' }, 403],
    ['Origin: null (sandboxed frame, redirected post)', { origin: 'null' }, 403],
  ] as const)('JSON add refused: %s', async (_what, headers, status) => {
    const before = await submitJobs(open);
    const response = await send(open, {
      method: 'POST',
      path: ADD,
      headers: { 'content-type': 'application/json', ...headers },
      body: JOB,
    });
    expect(response.status).toBe(status);
    expect(await submitJobs(open)).toBe(before);
  });

  test.each([
    ['text/plain', 'text/plain;charset=UTF-8'],
    ['a url-encoded form', 'application/x-www-form-urlencoded'],
    ['a multipart form', 'multipart/form-data; boundary=x'],
    ['no Content-Type', undefined],
  ] as const)('same-origin add refused with %s: 415', async (_what, contentType) => {
    const before = await submitJobs(open);
    const headers: Record<string, string> = {
      origin: self(open),
      'sec-fetch-site': 'same-origin',
      ...(contentType ? { 'content-type': contentType } : {}),
    };
    const response = await send(open, { method: 'POST', path: ADD, headers, body: JOB });
    expect(response.status).toBe(415);
    expect(await submitJobs(open)).toBe(before);
  });

  test('a bodiless cross-site POST is refused (a simple request, no preflight)', async () => {
    const response = await send(open, { method: 'POST', path: ADD, headers: { 'sec-fetch-site': 'none' } });
    expect(response.status).toBe(415);
  });

  test('our own page adds a job with JSON; a client without Origin (curl) may too; a bodiless PUT (retry, pause) passes', async () => {
    const before = await submitJobs(open);
    const fromBoard = await send(open, {
      method: 'POST',
      path: ADD,
      headers: { origin: self(open), 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' },
      body: JOB,
    });
    expect(fromBoard.status).toBe(200);
    const fromCurl = await send(open, {
      method: 'POST',
      path: ADD,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JOB,
    });
    expect(fromCurl.status).toBe(200);
    expect(await submitJobs(open)).toBe(before + 2);

    const pause = await send(open, {
      method: 'PUT',
      path: '/ui/api/queues/cleanup/pause',
      headers: { origin: self(open), 'sec-fetch-site': 'same-origin', 'content-length': '0' },
    });
    expect(pause.status).toBe(200);
    expect(await open.runtime.queues.cleanup.isPaused()).toBe(true);
    await open.runtime.queues.cleanup.resume();
    const crossPause = await send(open, {
      method: 'PUT',
      path: '/ui/api/queues/cleanup/pause',
      headers: { origin: 'https://evil.example' },
    });
    expect(crossPause.status).toBe(403);
    expect(await open.runtime.queues.cleanup.isPaused()).toBe(false);
  });

  test('behind a proxy that rewrites Host to loopback, an Origin on an allowed name is ours', async () => {
    const response = await send(open, {
      method: 'POST',
      path: ADD,
      headers: { origin: `https://${PUBLIC_NAME}`, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' },
      body: JOB,
    });
    expect(response.status).toBe(200);
  });

  test('with a password, a cross-site post with the right credentials (cached by the browser) still fails', async () => {
    const before = await submitJobs(locked);
    const response = await send(locked, {
      method: 'POST',
      path: ADD,
      headers: {
        authorization: OPERATOR_AUTH.authorization,
        origin: 'https://evil.example',
        'sec-fetch-site': 'cross-site',
        'content-type': 'text/plain',
      },
      body: JOB,
    });
    expect(response.status).toBe(403);
    expect(await submitJobs(locked)).toBe(before);
  });
});
