// The console's pages in a real headless Chromium, over data the real pipeline wrote: the poller read a
// FakePypi, the workers ran the stand-in `submit` and followed the results a test-played farm laid out
// (successes, failures, a missing module built and retried). Each page is screenshotted, light and dark,
// at a laptop's 1366×768; what the overview's charts were given is held against the Redis series.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { normalizeProjectName, type Runtime } from '@pypi-watch/core';
import { readSubmitCalls, REPO_ROOT, waitFor } from '@pypi-watch/test-utils';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchChromium, type LaunchedChromium } from './support/chromium.js';
import { DASHBOARD_PASSWORD, DASHBOARD_USER } from './support/dashboard-harness.js';
import {
  createPipelineHarness,
  FARM_OK,
  farmMissing,
  type Farm,
  type FarmFiles,
  type PipelineHarness,
} from './support/pipeline-harness.js';

const SHOTS = join(REPO_ROOT, 'test-output', 'console');
const HOUR = 3_600_000;
const MINUTE = 60_000;

/** Builds the farm has built successfully so far (normalized). */
const built = new Set<string>();
const farm: Farm = (repo) => {
  const project = normalizeProjectName(repo);
  let files: FarmFiles;
  if (project === 'needs-flit') files = built.has('flit-core') ? FARM_OK : farmMissing('flit_core');
  else if (project === 'still-missing') files = farmMissing('nosuch_helper');
  else if (project === 'broken' || project === 'nosuch-helper') files = { output: 'error: rpmbuild failed\n' };
  else files = FARM_OK;
  if (files === FARM_OK) built.add(project);
  return files;
};

/** alpha, beta, needs-flit (fails, then succeeds after flit-core), flit-core, still-missing and nosuch-helper (both fail), broken. */
const RESULTS = 8;

let h: PipelineHarness;
let runtime: Runtime;
let chromium: LaunchedChromium;
let polled: { found: number; queued: number; filtered: number };

beforeAll(async () => {
  h = await createPipelineHarness({ farm, env: { DASHBOARD_PASSWORD, DASHBOARD_USER }, config: { filters: { deny: ['^types-'] } } });
  runtime = h.runtime;
  h.pypi.publishGenerated(3);
  await h.poller.run(); // the first poll only sets the cursor
  h.pypi.publish([
    { name: 'alpha', version: '1.0' },
    { name: 'beta', version: '2.0' },
    { name: 'needs-flit', version: '1.0' },
    { name: 'still-missing', version: '1.0' },
    { name: 'broken', version: '1.0' },
    { name: 'fail-refused', version: '1.0' },
    { name: 'types-foo', version: '1.0' },
    { name: 'wheel-only', version: '1.0', files: ['bdist_wheel'] },
  ]);
  polled = await h.poller.run();
  await h.untilResults(RESULTS);
  await waitFor(
    async () => {
      const submit = await runtime.queues.submit.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed');
      const result = await runtime.queues.result.getJobCounts('waiting', 'active', 'delayed');
      return submit.failed === 1 && [...Object.values(result), submit.waiting, submit.active, submit.delayed].every((n) => n === 0);
    },
    { what: 'the pipeline to settle', timeoutMs: 30_000 },
  );
  chromium = await launchChromium({ httpCredentials: { username: DASHBOARD_USER, password: DASHBOARD_PASSWORD } });
  await mkdir(SHOTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await chromium?.close();
  await h?.close();
});

/** What Chromium refused under the dashboard's CSP, on the console's own pages. */
const violations: string[] = [];

async function openPage(path: string, colorScheme: 'light' | 'dark' = 'light'): Promise<Page> {
  const page = await chromium.context.newPage();
  // A missing element fails its test within the test's time, saying which.
  page.setDefaultTimeout(8000);
  await page.setViewportSize({ width: 1366, height: 768 });
  await page.emulateMedia({ colorScheme });
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text()) && !/fonts\.googleapis\.com/.test(message.text()))
      violations.push(`${page.url()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => violations.push(`${page.url()}: script error ${error.message}`));
  await page.route(/^https?:\/\/fonts\.(googleapis|gstatic)\.com\//, (route) => route.abort());
  await page.goto(new URL(path, h.dashboard.url).href);
  return page;
}

async function screenshot(page: Page, name: string): Promise<string> {
  const file = join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot: ${file}`);
  return file;
}

/** The fields of one series bucket hash, as numbers. */
async function bucket(resolution: 'minute' | 'hour', at: number): Promise<Record<string, number>> {
  const width = resolution === 'hour' ? HOUR : MINUTE;
  const raw = await runtime.redis.hgetall(runtime.stores.keys.seriesBucket(resolution, at / width));
  return Object.fromEntries(Object.entries(raw).map(([field, value]) => [field, Number(value)]));
}

interface DrawnSeries {
  readonly x: number[];
  readonly series: Record<string, Array<number | null>>;
}

async function drawn(page: Page, id: string): Promise<DrawnSeries> {
  const raw = await page.locator(`#${id}`).getAttribute('data-series');
  expect(raw, `${id} has data-series`).toBeTruthy();
  return JSON.parse(raw!) as DrawnSeries;
}

/** A JavaScript expression evaluated in the page (the tests compile without the DOM's types). */
const inPage = <T = unknown>(page: Page, expression: string): Promise<T> => page.evaluate<T>(expression);

const total = (values: ReadonlyArray<number | null>) => values.reduce<number>((sum, v) => sum + (v ?? 0), 0);

async function drawnOverview(colorScheme: 'light' | 'dark' = 'light'): Promise<Page> {
  const page = await openPage('/', colorScheme);
  await page.waitForSelector('body[data-overview-drawn]');
  await page.waitForSelector('#chart-releases canvas');
  return page;
}

describe('console pages in a browser, over the real pipeline', () => {
  test('the overview is the landing page; its charts draw exactly the Redis series, per hour and per minute', async () => {
    const page = await drawnOverview();
    expect(new URL(page.url()).pathname).toBe('/');

    const releases = await drawn(page, 'chart-releases');
    const hourly = await drawn(page, 'chart-submits-hourly');
    expect(releases.x).toHaveLength(48);
    const fields = { found: 'found', queued: 'queued', waiting: 'waiting', filtered: 'filtered', superseded: 'superseded' } as const;
    for (const [i, at] of releases.x.entries()) {
      const redis = await bucket('hour', at);
      for (const [label, field] of Object.entries(fields)) expect(releases.series[label]?.[i], `${label} at ${at}`).toBe(redis[field] ?? 0);
      expect(hourly.series.started?.[i], `started at ${at}`).toBe(redis['submits-started'] ?? 0);
      expect(hourly.series.failed?.[i], `failed at ${at}`).toBe(redis['submits-failed'] ?? 0);
    }
    // And the series themselves hold what the pipeline did.
    expect(total(releases.series.found!)).toBe(polled.found);
    expect(total(releases.series.queued!)).toBe(polled.queued);
    expect(total(releases.series.filtered!)).toBe(1);
    expect(total(releases.series.waiting!)).toBeGreaterThanOrEqual(1);
    const calls = await readSubmitCalls(join(h.setup.dir, 'submit-calls.jsonl'));
    expect(total(hourly.series.started!)).toBe(calls.length);
    expect(total(hourly.series.failed!)).toBe(1);

    const minutely = await drawn(page, 'chart-submits-minutely');
    expect(minutely.x).toHaveLength(60);
    for (const [i, at] of minutely.x.entries()) {
      const redis = await bucket('minute', at);
      expect(minutely.series.started?.[i], `minute ${at}`).toBe(redis['submits-started'] ?? 0);
    }
    // submit.rateLimit: 10 a second. This hour's few submits would be flat under a line at 600, so it is said instead.
    expect(await page.locator('#submit-rate').getAttribute('data-limit')).toBe('600');
    expect(Math.max(...minutely.series.started!.map((n) => n ?? 0))).toBeLessThan(150);
    expect(minutely.series.limit).toBeUndefined();
    expect(await page.locator('#limit-note').innerText()).toMatch(
      /^submit\.rateLimit: 600 \/ min, far above this hour's peak of \d+ \/ min/,
    );
    await screenshot(page, 'overview-light');
    await page.close();
  });

  test('the overview: build outcomes per day, failures by kind, backlog and latencies match Redis and the result store', async () => {
    const page = await drawnOverview('dark');
    const outcomes = await runtime.stores.results.since(0);
    const success = outcomes.filter((o) => o.status === 'success').length;
    const failures = outcomes.filter((o) => o.status === 'failure');
    expect(success + failures.length).toBe(RESULTS);

    const rate = await drawn(page, 'chart-success-daily');
    expect(rate.x).toHaveLength(90);
    const today = rate.series['success rate %']!.at(-1);
    expect(today).toBe(Math.round((success / RESULTS) * 1000) / 10);

    const kinds = await drawn(page, 'chart-failures-daily');
    const byKind = new Map<string, number>();
    for (const o of failures) byKind.set(o.kind ?? 'other', (byKind.get(o.kind ?? 'other') ?? 0) + 1);
    expect(Object.fromEntries(Object.entries(kinds.series).map(([kind, values]) => [kind, total(values)]))).toEqual(
      Object.fromEntries(byKind),
    );
    const hourly = await drawn(page, 'chart-releases');
    const redisKinds = new Map<string, number>();
    for (const at of hourly.x)
      for (const [field, n] of Object.entries(await bucket('hour', at)))
        if (field.startsWith('kind:')) redisKinds.set(field.slice(5), (redisKinds.get(field.slice(5)) ?? 0) + n);
    expect(redisKinds).toEqual(byKind);
    for (const [kind, n] of byKind)
      expect(await page.locator(`#failure-kind-bars li[data-label="${kind}"]`).getAttribute('data-value')).toBe(String(n));

    for (const queue of ['poll', 'submit', 'cleanup', 'result'] as const) {
      const counts = await runtime.queues[queue].getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed');
      const bar = page.locator(`#backlog-bars li[data-label="${queue}"]`);
      expect(await bar.getAttribute('data-failed'), `${queue} failed`).toBe(String(counts.failed ?? 0));
      expect(await bar.getAttribute('data-waiting'), `${queue} waiting`).toBe(String((counts.waiting ?? 0) + (counts.prioritized ?? 0)));
    }
    let cells = 0;
    for (const at of hourly.x.slice(-24))
      for (const [field, n] of Object.entries(await bucket('hour', at))) if (field.startsWith('s2r:')) cells += n;
    expect(cells).toBe(RESULTS);
    expect(await page.locator('#submit-to-result').getAttribute('data-count')).toBe(String(cells));
    const lastPoll = JSON.parse((await runtime.redis.get(runtime.stores.keys.lastPoll)) ?? '{}') as { startedAt: string };
    expect(await page.locator('#last-poll').getAttribute('data-value')).toBe(String(Date.parse(lastPoll.startedAt)));
    // Dark: Bull Board's dark background.
    expect(await inPage(page, 'getComputedStyle(document.body).backgroundColor')).toBe('rgb(21, 26, 33)');
    await screenshot(page, 'overview-dark');
    await page.close();
  });

  test('the report: outcome cards, bars, and failing packages linked to their story with result path and missing module', async () => {
    const report = await runtime.stores.results.report(Date.now() - 7 * 86_400_000);
    const dependencies = await runtime.stores.dependencies.report(Date.now());
    for (const scheme of ['light', 'dark'] as const) {
      const page = await openPage('/report', scheme);
      expect(await page.locator('#success .value').innerText()).toBe(String(report.byStatus.success));
      expect(await page.locator('#failure .value').innerText()).toBe(String(report.byStatus.failure));
      expect(await page.locator('#success-rate .value').innerText()).toBe(`${(report.successRate * 100).toFixed(1)}%`);
      for (const [kind, n] of Object.entries(report.byFailureKind).filter(([, n]) => n > 0))
        expect(await page.locator(`#failure-kinds li[data-label="${kind}"]`).getAttribute('data-value')).toBe(String(n));
      for (const wanted of dependencies.mostWanted)
        expect(await page.locator(`#most-wanted li[data-label="${wanted.project}"]`).getAttribute('data-value')).toBe(
          String(wanted.wantedBy),
        );
      expect(dependencies.mostWanted.map((d) => d.project)).toContain('nosuch-helper');

      const rows = page.locator('#failing tbody tr');
      expect(await rows.count()).toBe(report.failing.length);
      for (const outcome of report.failing) {
        const spec = outcome.version === undefined ? outcome.name : `${outcome.name}==${outcome.version}`;
        const row = page.locator(`#failing tr[data-spec="${spec}"]`);
        expect(await row.locator('a').getAttribute('href')).toBe(`why?name=${encodeURIComponent(spec)}`);
        expect(await row.locator('.result-path').innerText()).toBe(outcome.resultRoot);
      }
      expect(await page.locator('#failing tr[data-spec="needs-flit==1.0"] .missing-module').innerText()).toBe('flit_core');
      expect(await page.locator('#failing tr[data-spec="still-missing==1.0"] .missing-module').innerText()).toBe('nosuch_helper');
      expect(await page.locator('#failing tr[data-spec="broken==1.0"] .missing-module').count()).toBe(0);
      await screenshot(page, `report-${scheme}`);
      if (scheme === 'dark') {
        await page.locator('#failing tr[data-spec="needs-flit==1.0"] a').click();
        await page.waitForURL(/\/why\?name=needs-flit/);
        expect(await page.locator('#story li').count()).toBeGreaterThan(0);
      }
      await page.close();
    }
  });

  test('why: the story as a timeline, with its result paths and the missing module', async () => {
    const story = await runtime.stores.decisions.story('needs-flit', '1.0');
    const submitted = story.flatMap((e) => (e.decision.kind === 'submitted' && e.decision.resultRoot ? [e.decision.resultRoot] : []));
    expect(submitted).toHaveLength(2); // the failed build and the retry after flit-core was built
    for (const scheme of ['light', 'dark'] as const) {
      const page = await openPage(`/why?name=${encodeURIComponent('needs-flit==1.0')}`, scheme);
      expect(await page.locator('#story > li').count()).toBe(story.length);
      const kinds = await Promise.all((await page.locator('#story > li').all()).map((li) => li.getAttribute('data-kind')));
      expect(kinds).toEqual(story.map((e) => e.decision.kind));
      expect(await page.locator('#result-paths .result-path').allInnerTexts()).toEqual(submitted);
      expect(await page.locator('#missing-modules .missing-module').allInnerTexts()).toEqual(['flit_core']);
      await screenshot(page, `why-${scheme}`);
      await page.close();
    }
  });

  test('the theme toggle is remembered and shared with Bull Board; the board links back to the overview', async () => {
    const page = await openPage('/', 'light');
    const toggle = page.locator('#theme-toggle');
    await expect.poll(() => toggle.innerText()).toBe('◐ Auto');
    await toggle.click();
    await toggle.click();
    expect(await toggle.innerText()).toBe('☾ Dark');
    expect(await inPage(page, 'document.documentElement.dataset.theme')).toBe('dark');
    expect(await inPage(page, 'getComputedStyle(document.body).backgroundColor')).toBe('rgb(21, 26, 33)');
    await page.reload();
    expect(await inPage(page, 'document.documentElement.dataset.theme')).toBe('dark');

    await page.goto(new URL('/ui/', h.dashboard.url).href);
    await expect.poll(() => inPage(page, "document.body.classList.contains('dark-mode')")).toBe(true);
    const board = JSON.parse((await inPage<string | null>(page, "localStorage.getItem('board-settings')")) ?? '{}') as {
      state?: { theme?: string };
    };
    expect(board.state?.theme).toBe('dark');
    // The board's header menu holds the console's links; its first goes back to the overview.
    await page.locator('header [class*="actions"] li').last().locator('button').click();
    await page.getByRole('menuitem', { name: 'Overview' }).click();
    await page.waitForURL((url) => url.pathname === '/');
    await page.waitForSelector('body[data-overview-drawn]');
    await page.locator('#theme-toggle').click(); // back to Auto, for whatever runs next
    expect(await inPage(page, 'document.documentElement.dataset.theme')).toBeUndefined();
    await page.close();
  });

  test('hostile text in Redis is shown as text: a poll error with markup reaches the page escaped', async () => {
    const hostile = '</script><img src=x id=injected onerror="document.title=1"><b>bold</b>';
    await runtime.redis.hset(
      runtime.stores.keys.metricsCounters,
      'poll:last-failure-ms',
      String(Date.now()),
      'poll:last-failure-error',
      hostile,
    );
    const page = await drawnOverview();
    const item = page.locator('#attention li[data-severity="error"]').filter({ hasText: 'The last poll failed' });
    expect(await item.innerText()).toContain(hostile);
    expect(await page.locator('#injected').count()).toBe(0);
    expect(await page.locator('main b').count()).toBe(0);
    expect(await page.locator('#last-poll .note').innerText()).toContain('<img src=x');
    await page.close();
  });

  test('every console page ran under the Content-Security-Policy with nothing refused and no script error', () => {
    expect(violations).toEqual([]);
  });
});
