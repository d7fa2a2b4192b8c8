// The console's routes over HTTP: /api/overview is readOverview's answer, the overview page carries the
// same data in a data block nothing can break out of, every asset its scripts load is served, and hostile
// story entries in Redis neither break /why nor reach it as markup.

import { readOverview, type Overview } from '@pypi-watch/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ASSETS } from '../src/asset-routes.js';
import { createLockedDashboardHarness, OPERATOR_AUTH, type DashboardHarness } from './support/dashboard-harness.js';

const HOSTILE = '</script><script src="x.js"></script><!--<img src=x onerror=alert(1)>\u2028';

let h: DashboardHarness;

beforeAll(async () => {
  h = await createLockedDashboardHarness();
  const workers = await h.startWorkers();
  await h.enqueue('alpha', 'fail-beta');
  await h.settled(2);
  await workers.close(5000);
  await h.runtime.redis.hset(
    h.runtime.stores.keys.metricsCounters,
    'poll:last-failure-ms',
    String(Date.now()),
    'poll:last-failure-error',
    HOSTILE,
  );
}, 60_000);

afterAll(async () => {
  await h?.close();
});

const get = (path: string) => fetch(new URL(path, h.dashboard.url), { headers: OPERATOR_AUTH });

/** The parts of an overview that do not move with the clock between two reads. */
const steady = (o: Overview) => ({ backlog: o.backlog, attention: o.attention, lastPoll: o.lastPoll, limit: o.rate.limitPerMinute });

describe('console routes', () => {
  test('GET /api/overview answers readOverview, uncached; without credentials 401', async () => {
    expect((await fetch(new URL('/api/overview', h.dashboard.url))).status).toBe(401);
    const response = await get('/api/overview');
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const served = (await response.json()) as Overview;
    const direct = await readOverview(h.runtime, Date.now());
    expect(steady(served)).toEqual(steady(direct));
    expect(served.backlog.submit).toMatchObject({ failed: 1 });
    expect(served.hourly).toHaveLength(48);
    expect(served.lastPoll).toMatchObject({ ok: false, error: HOSTILE });
  });

  test('the overview page is the landing page and holds the same data in a block no text can end early', async () => {
    const response = await get('/');
    expect(response.status).toBe(200);
    const html = await response.text();
    const blocks = [...html.matchAll(/<script type="application\/json" id="overview-data">([^]*?)<\/script>/g)];
    expect(blocks).toHaveLength(1);
    const data = JSON.parse(blocks[0]![1]!) as Overview;
    expect(data.lastPoll?.error).toBe(HOSTILE);
    expect(steady(data)).toEqual(steady(await readOverview(h.runtime, Date.now())));
    // Only the dashboard's own scripts, by src; no inline script anywhere.
    const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1]!.trim());
    expect(scripts).toEqual([
      'src="assets/theme.js"',
      'type="application/json" id="overview-data"',
      'src="assets/uplot.js"',
      'type="module" src="assets/overview.js"',
    ]);
    expect(html).not.toContain('<script src="x.js"');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<!--');
  });

  test('every asset is served with its type, and every module the overview script imports is one of them', async () => {
    for (const [name, asset] of Object.entries(ASSETS)) {
      const response = await get(`/assets/${name}`);
      expect(response.status, name).toBe(200);
      expect(response.headers.get('content-type'), name).toMatch(new RegExp(`^${asset.type}`));
      expect((await response.text()).length, name).toBeGreaterThan(100);
    }
    expect(await (await get('/assets/uplot.js')).text()).toMatch(/uPlot/);
    const pending = ['overview.js'];
    const seen = new Set<string>();
    while (pending.length) {
      const name = pending.pop()!;
      if (seen.has(name)) continue;
      seen.add(name);
      const response = await get(`/assets/${name}`);
      expect(response.status, `assets/${name}`).toBe(200);
      for (const [, imported] of (await response.text()).matchAll(/\bfrom\s+['"]\.\/([^'"]+)['"]/g)) pending.push(imported!);
    }
    expect([...seen].sort()).toEqual(['overview-data.js', 'overview.js', 'time-chart.js']);
    for (const path of ['/assets/nowhere.js', '/assets/..%2Fpackage.json', '/assets/constructor', '/assets/__proto__'])
      expect((await get(path)).status, path).toBe(404);
  });

  test('/why: entries in Redis that are not what pypi-watch writes are shown escaped, and the page still answers', async () => {
    const key = h.runtime.stores.keys.why('odd-pkg');
    await h.runtime.redis.rpush(
      key,
      // A time no Date can print (describeDecision throws on it), and a kind pypi-watch does not have.
      JSON.stringify({ at: 1e20, decision: { kind: '<b>odd</b>', target: '<b>t</b>', status: '<script>x</script>' } }),
      JSON.stringify({
        at: Date.now(),
        version: '1.0',
        decision: { kind: 'submitted', target: 't', farmJobId: 'crystal.1', resultRoot: '/srv/"><b>x' },
      }),
    );
    const response = await get('/why?name=odd-pkg');
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('an entry pypi-watch cannot read');
    expect(html).toContain('<code class="result-path">/srv/&quot;&gt;&lt;b&gt;x</code>');
    expect(html).not.toMatch(/<b>|<script>x/);
  });
});
