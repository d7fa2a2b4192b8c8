// The dashboard in a real headless Chromium: basic auth, the queues with the counts `status` reports,
// the job schedulers, retrying a failed submit and adding a job from the board, all under the dashboard's CSP.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CLEANUP_SCHEDULER_ID, POLL_SCHEDULER_ID, QUEUE_NAMES, readStatus, registerSchedules, type JobCounts } from '@pypi-watch/core';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPO_ROOT } from '@pypi-watch/test-utils';
import { launchChromium, type LaunchedChromium } from './support/chromium.js';
import {
  basicAuthHeader,
  createDashboardHarness,
  DASHBOARD_PASSWORD,
  DASHBOARD_USER,
  waitFor,
  type DashboardHarness,
} from './support/dashboard-harness.js';

const SCREENSHOT = join(REPO_ROOT, 'test-output', 'dashboard.png');
const FAILED_JOB_ID = 'fail-gamma|1.0.0|os_arch=aarch64,testbox=vm-2p8g';

let h: DashboardHarness;
let chromium: LaunchedChromium;

beforeAll(async () => {
  h = await createDashboardHarness({ env: { DASHBOARD_PASSWORD, DASHBOARD_USER } });
  const workers = await h.startWorkers();
  await h.enqueue('alpha', 'beta', 'fail-gamma');
  await h.settled(3);
  // Stopped, so a job retried from the board waits in the queue instead of failing again at once.
  await workers.close(5000);
  await registerSchedules(h.runtime.queues, h.setup.config);
  chromium = await launchChromium({ httpCredentials: { username: DASHBOARD_USER, password: DASHBOARD_PASSWORD } });
}, 90_000);

afterAll(async () => {
  await chromium?.close();
  await h?.close();
});

/** What Chromium refused under the dashboard's Content-Security-Policy, page by page. */
const violations: string[] = [];

async function openPage(path: string): Promise<Page> {
  const page = await chromium.context.newPage();
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(`${page.url()}: ${message.text()}`);
  });
  // The board's stylesheet links Google Fonts; no test should wait on the internet.
  await page.route(/^https?:\/\/fonts\.(googleapis|gstatic)\.com\//, (route) => route.abort());
  await page.goto(new URL(path, h.dashboard.url).href);
  return page;
}

const total = (counts: JobCounts): number => Object.values(counts).reduce((sum, n) => sum + n, 0);

describe('dashboard in a browser', () => {
  test('after basic-auth login, lists the three queues with the counts `status` reports', async () => {
    const status = await readStatus(h.runtime);
    expect(status.queues.submit).toMatchObject({ completed: 2, failed: 1, waiting: 0, active: 0 });

    const page = await openPage('/ui/');
    const sidebar = page.locator('#bull-board-sidebar nav');
    for (const name of QUEUE_NAMES) await expect.poll(() => sidebar.getByTitle(name, { exact: true }).count()).toBe(1);

    for (const name of QUEUE_NAMES) {
      const card = page.locator('[class*="queueCard"]').filter({ has: page.getByTitle(name, { exact: true }) });
      const shown = async () => Number(/^(\d+) Jobs?$/.exec(await card.locator('[class*="total-"]').innerText())?.[1]);
      await expect.poll(shown, { message: `${name} total` }).toBe(total(status.queues[name]));
    }
    const failedFlag = page
      .locator('[class*="queueCard"]')
      .filter({ has: page.getByTitle('submit', { exact: true }) })
      .locator('a[class*="flag"]');
    await expect.poll(() => failedFlag.innerText()).toMatch(/^Failed\s*1$/i);
    await mkdir(join(REPO_ROOT, 'test-output'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    await sidebar.getByTitle('submit', { exact: true }).click();
    await page.waitForURL(/\/ui\/queue\/submit/);
    const badge = (state: string) =>
      page
        .locator('[class*="statusTabs"] li')
        .filter({ has: page.locator(`[data-text="${state}"]`) })
        .locator('[class*="badge"]');
    await expect.poll(() => badge('COMPLETED').innerText()).toBe(String(status.queues.submit.completed));
    await expect.poll(() => badge('FAILED').innerText()).toBe(String(status.queues.submit.failed));
    await page.close();
  });

  test('shows the poll and cleanup job schedulers', async () => {
    const page = await openPage('/ui/job-schedulers');
    await expect.poll(() => page.getByText(POLL_SCHEDULER_ID, { exact: true }).count()).toBeGreaterThan(0);
    await expect.poll(() => page.getByText(CLEANUP_SCHEDULER_ID, { exact: true }).count()).toBeGreaterThan(0);
    await page.close();
  });

  test('opens the failed submit and retries it: the job leaves the failed state', async () => {
    const job = await h.runtime.queues.submit.getJob(FAILED_JOB_ID);
    expect(await job?.getState()).toBe('failed');

    const page = await openPage('/ui/queue/submit?status=failed');
    await page.locator('a[class*="jobLink"]').filter({ hasText: FAILED_JOB_ID }).click();
    await page.waitForURL(/\/ui\/queue\/submit\/fail-gamma/);
    const retry = page.locator('[class*="jobActions"] button').first();
    await retry.hover();
    await expect.poll(() => page.getByText('Retry', { exact: true }).isVisible()).toBe(true);
    await retry.click();
    await page.getByText('Are you sure that you want to retry this job?').waitFor();
    await page.getByRole('button', { name: 'Confirm' }).click();

    const state = await waitFor(
      async () => {
        const current = await (await h.runtime.queues.submit.getJob(FAILED_JOB_ID))?.getState();
        return current !== 'failed' && current;
      },
      { what: 'the retried job to leave the failed state' },
    );
    expect(state).toBe('waiting');
    expect((await h.runtime.queues.submit.getJobCounts('failed')).failed).toBe(0);
    await page.close();
  });

  test("adds a job from the board's Add job dialog (a same-origin JSON POST the CSRF check lets through)", async () => {
    const page = await openPage('/ui/queue/cleanup');
    await page.locator('button[class*="trigger"]').click();
    await page.getByRole('menuitem', { name: 'Add job' }).click();
    await page.locator('#add-job-form input[name="jobName"]').fill('added-from-the-board');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const added = await waitFor(
      async () =>
        (await h.runtime.queues.cleanup.getJobs(['waiting', 'delayed', 'prioritized'])).find((job) => job.name === 'added-from-the-board'),
      { what: 'the job added from the board' },
    );
    expect(added.data).toEqual({});
    await added.remove();
    await page.close();
  });

  test('the board runs under the Content-Security-Policy: nothing refused but the Google Fonts stylesheet', () => {
    expect(violations.length).toBeGreaterThan(0); // the console listener does see violations
    for (const violation of violations) expect(violation).toMatch(/Loading the stylesheet 'https:\/\/fonts\.googleapis\.com\//);
  });

  test('refuses requests without credentials or with a wrong password; /healthz stays open', async () => {
    const url = (path: string) => new URL(path, h.dashboard.url).href;
    const anonymous = await fetch(url('/ui/'));
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic realm="pypi-watch"/);
    for (const [user, password] of [
      [DASHBOARD_USER, 'wrong password'],
      [DASHBOARD_USER, `${DASHBOARD_PASSWORD}x`],
      ['admin', DASHBOARD_PASSWORD],
      [DASHBOARD_USER, ''],
    ] as const) {
      const response = await fetch(url('/ui/api/queues'), { headers: { authorization: basicAuthHeader(user, password) } });
      expect(response.status, `${user}:${password}`).toBe(401);
    }
    for (const path of ['/', '/metrics', '/ui/api/queues', '/nowhere'])
      expect((await fetch(url(path), { redirect: 'manual' })).status, path).toBe(401);

    const ok = await fetch(url('/ui/api/queues'), { headers: { authorization: basicAuthHeader(DASHBOARD_USER, DASHBOARD_PASSWORD) } });
    expect(ok.status).toBe(200);
    const health = await fetch(url('/healthz'));
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ redis: 'ok' });
    expect(h.logs.text()).not.toContain(DASHBOARD_PASSWORD);
  });
});
