// Response headers on every kind of answer the dashboard gives: the CSP, no framing, no sniffing, no referrer, no X-Powered-By.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../src/security-headers.js';
import { createDashboardHarness, createLockedDashboardHarness, OPERATOR_AUTH, type DashboardHarness } from './support/dashboard-harness.js';
import { rawRequest, type RawRequest } from './support/raw-request.js';

let open: DashboardHarness;
let locked: DashboardHarness;
/** One of the board's own scripts, as its page names it. */
let boardScript: string;

beforeAll(async () => {
  open = await createDashboardHarness();
  locked = await createLockedDashboardHarness();
  const page = await rawRequest(open.dashboard.url, { path: '/ui/' });
  boardScript = `/ui/${/src="(static\/js\/[^"]+\.js)"/.exec(page.body)?.[1] ?? 'no-script-in-the-board-page'}`;
}, 60_000);

afterAll(async () => {
  await open?.close();
  await locked?.close();
});

const authorization = OPERATOR_AUTH.authorization;

describe('security headers', () => {
  test('the policy: scripts from self only, no framing, no plugins, no base or form targets elsewhere', () => {
    const directives = new Map(CONTENT_SECURITY_POLICY.split(/;\s*/).map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]));
    expect(directives.get('default-src')).toBe("'none'");
    expect(directives.get('script-src')).toBe("'self'");
    expect(directives.get('frame-ancestors')).toBe("'none'");
    expect(directives.get('base-uri')).toBe("'self'");
    expect(directives.get('form-action')).toBe("'self'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|\*|https?:/);
  });

  test.each<[string, () => DashboardHarness, () => RawRequest, number]>([
    ['the board page', () => open, () => ({ path: '/ui/' }), 200],
    ['a board script', () => open, () => ({ path: boardScript }), 200],
    ['the board API', () => open, () => ({ path: '/ui/api/queues' }), 200],
    ['the overview at /', () => open, () => ({ path: '/' }), 200],
    ['/api/overview', () => open, () => ({ path: '/api/overview' }), 200],
    ['a console script', () => open, () => ({ path: '/assets/overview.js' }), 200],
    ['the console stylesheet', () => open, () => ({ path: '/assets/console.css' }), 200],
    ['an unknown asset', () => open, () => ({ path: '/assets/nowhere.js' }), 404],
    ['/healthz', () => open, () => ({ path: '/healthz' }), 200],
    ['/metrics', () => open, () => ({ path: '/metrics' }), 200],
    ['/report', () => open, () => ({ path: '/report' }), 200],
    ['/why', () => open, () => ({ path: '/why?name=requests' }), 200],
    ['an unknown path', () => open, () => ({ path: '/nowhere' }), 404],
    ['an unknown board path', () => open, () => ({ path: '/ui/api/nowhere' }), 404],
    ['a refused Host', () => open, () => ({ path: '/ui/', headers: { host: 'evil.example' } }), 421],
    [
      'a cross-site post',
      () => open,
      () => ({ method: 'POST', path: '/ui/api/queues/submit/add', headers: { origin: 'https://evil.example' } }),
      403,
    ],
    [
      'a post that is not JSON',
      () => open,
      () => ({ method: 'POST', path: '/ui/api/queues/submit/add', headers: { 'content-type': 'text/plain' }, body: '{}' }),
      415,
    ],
    ['a login prompt', () => locked, () => ({ path: '/ui/' }), 401],
    ['the board behind the login', () => locked, () => ({ path: '/ui/', headers: { authorization } }), 200],
  ])('%s', async (_what, h, req, status) => {
    const response = await rawRequest(h().dashboard.url, req());
    expect(response.status).toBe(status);
    expect(response.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['x-frame-options']).toBe('DENY');
    expect(response.headers['referrer-policy']).toBe('no-referrer');
    expect(response.headers['x-powered-by']).toBeUndefined();
  });
});
