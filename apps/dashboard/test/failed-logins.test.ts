// Failed logins through the real dashboard: a client past its limit gets 429, others do not, and the log gets one summary per window.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { clientKey, LoginThrottle } from '../src/login-throttle.js';
import {
  basicAuthHeader,
  createDashboardHarness,
  DASHBOARD_PASSWORD,
  DASHBOARD_USER,
  waitFor,
  type DashboardHarness,
} from './support/dashboard-harness.js';
import { rawRequest } from './support/raw-request.js';

const MAX_FAILURES = 5;
const WINDOW_MS = 2000;

let h: DashboardHarness;

beforeAll(async () => {
  h = await createDashboardHarness({
    env: { DASHBOARD_PASSWORD, DASHBOARD_USER },
    dashboard: { logins: { maxFailures: MAX_FAILURES, windowMs: WINDOW_MS } },
  });
}, 60_000);

afterAll(async () => {
  await h?.close();
});

const login = (password: string, localAddress?: string) =>
  rawRequest(h.dashboard.url, {
    path: '/ui/api/queues',
    headers: { authorization: basicAuthHeader(DASHBOARD_USER, password) },
    ...(localAddress ? { localAddress } : {}),
  });
const loginLines = () => h.logs.lines.filter((line) => /login|password/i.test(String(line.msg)));

describe('failed logins', () => {
  test('past the limit a client gets 429 with Retry-After, another client does not, and the log gets one line with the count', async () => {
    for (let i = 0; i < MAX_FAILURES; i++) expect((await login(`guess ${i}`)).status).toBe(401);
    const throttled = await login('guess again');
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(throttled.headers['retry-after'])).toBeLessThanOrEqual(WINDOW_MS / 1000);
    expect(throttled.headers['content-type']).toMatch(/^text\/plain/);
    // Even the right password: a guesser must not learn that it found it.
    expect((await login(DASHBOARD_PASSWORD)).status).toBe(429);
    // No credentials at all still gets the login prompt.
    expect((await rawRequest(h.dashboard.url, { path: '/ui/' })).status).toBe(401);

    // Every loopback address is the same client: a local user cannot get fresh tries from 127.0.0.2.
    expect((await login('another guess', '127.0.0.2')).status).toBe(429);

    expect(loginLines()).toEqual([]);
    await waitFor(() => loginLines().length > 0, { what: 'the failed-login summary', timeoutMs: WINDOW_MS * 3 });
    expect(loginLines()).toEqual([
      expect.objectContaining({ level: 40, failedLogins: MAX_FAILURES, clients: 1, windowMs: WINDOW_MS, maxFailures: MAX_FAILURES }),
    ]);
    expect(h.logs.text()).not.toContain('guess');
    expect(h.logs.text()).not.toContain(DASHBOARD_PASSWORD);

    // The window over, the right password works again.
    expect((await login(DASHBOARD_PASSWORD)).status).toBe(200);
  });

  test('a flood of wrong guesses writes one log line, not one per guess', async () => {
    await waitFor(async () => (await login(DASHBOARD_PASSWORD, '127.0.0.3')).status === 200, { what: 'the window to end' });
    const before = loginLines().length;
    const statuses = await Promise.all(Array.from({ length: 200 }, (_, i) => login(`flood ${i}`, '127.0.0.3').then((r) => r.status)));
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(MAX_FAILURES);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(200 - MAX_FAILURES);
    await waitFor(() => loginLines().length > before, { what: 'the flood summary', timeoutMs: WINDOW_MS * 3 });
    expect(loginLines().length).toBe(before + 1);
  });

  test('clients are apart, a guesser with many addresses meets the total budget, and a new client still gets in', () => {
    let now = 0;
    const throttle = new LoginThrottle({ maxFailures: 3, maxTotalFailures: 10, maxClients: 4, windowMs: 1000, now: () => now });
    for (let i = 0; i < 3; i++) throttle.recordFailure('10.0.0.1');
    expect(throttle.retryAfterSeconds('10.0.0.1')).toBe(1);
    expect(throttle.retryAfterSeconds('10.0.0.2')).toBe(0);
    // Fifty addresses, one guess each: past the total budget every client that failed waits...
    for (let i = 0; i < 50; i++) {
      if (throttle.retryAfterSeconds(`192.0.2.${i}`) === 0) throttle.recordFailure(`192.0.2.${i}`);
    }
    expect(throttle.retryAfterSeconds('192.0.2.49')).toBe(1);
    // ...while a client that never failed, even once the table is full, still may try.
    expect(throttle.retryAfterSeconds('198.51.100.7')).toBe(0);
    now = 1000;
    expect(throttle.retryAfterSeconds('192.0.2.49')).toBe(0);
  });

  test.each([
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['::ffff:127.0.0.2', 'loopback'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::9', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff::1', '2001:db8:1:2::/64'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    [undefined, 'unknown'],
  ])('clientKey(%s) is %s: one IPv6 /64 counts as one client', (address, key) => {
    expect(clientKey(address)).toBe(key);
  });
});
