// A runtime on the test Redis with submit jobs run by a real worker and the stand-in `submit`, and a dashboard over it.

import {
  batchIdFor,
  enqueueSubmits,
  normalizeProjectName,
  openRuntime,
  startWorkers,
  type Runtime,
  type WorkerSet,
} from '@pypi-watch/core';
import { startDashboard, type DashboardAppOptions, type RunningDashboard } from '../../src/index.js';
import {
  captureLogs,
  type CapturedLogs,
  createTestSetup,
  type TestSetup,
  connectTestRedis,
  deleteKeysWithPrefix,
  waitFor,
  type Defer,
} from '@pypi-watch/test-utils';

export { waitFor };

export const DASHBOARD_USER = 'operator';
export const DASHBOARD_PASSWORD = 'correct horse battery staple';
/** Request headers that log in as the operator on a dashboard from `createLockedDashboardHarness`. */
export const OPERATOR_AUTH = { authorization: basicAuthHeader(DASHBOARD_USER, DASHBOARD_PASSWORD) };

export interface DashboardHarness {
  readonly setup: TestSetup;
  readonly runtime: Runtime;
  readonly logs: CapturedLogs;
  readonly dashboard: RunningDashboard;
  /** Runs the submit queue until `stopWorkers()`; started on demand. */
  startWorkers(): Promise<WorkerSet>;
  /** Queues one submit job per name (names starting with `fail-` are refused by the stand-in). */
  enqueue(...names: string[]): Promise<void>;
  /** Waits until this many submit jobs are completed or failed. */
  settled(expected: number): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Config-file keys on top of the test defaults (port 0, one attempt per submit). */
  readonly config?: Record<string, unknown>;
  /** Environment the config is loaded with (DASHBOARD_PASSWORD, DASHBOARD_USER). */
  readonly env?: NodeJS.ProcessEnv;
  readonly dashboard?: DashboardAppOptions;
  /** Given (cleanupsAfterEach), the harness is closed after the test. */
  readonly defer?: Defer;
}

export async function createDashboardHarness(options: HarnessOptions = {}): Promise<DashboardHarness> {
  const {
    dashboard: dashboardOverrides,
    submit: submitOverrides,
    ...rest
  } = (options.config ?? {}) as {
    dashboard?: Record<string, unknown>;
    submit?: Record<string, unknown>;
  };
  const setup = await createTestSetup(
    { dashboard: { host: '127.0.0.1', port: 0, ...dashboardOverrides }, submit: { attempts: 1, ...submitOverrides }, ...rest },
    options.env ?? {},
  );
  const logs = captureLogs();
  const runtime = await openRuntime({ config: setup.config, logger: logs.logger, connectionName: 'pypi-watch:dashboard-test' });
  let dashboard: RunningDashboard;
  try {
    dashboard = await startDashboard(runtime, options.dashboard);
  } catch (error) {
    await runtime.close();
    await setup.remove();
    throw error;
  }
  let workers: WorkerSet | undefined;
  const harness: DashboardHarness = {
    setup,
    runtime,
    logs,
    dashboard,
    startWorkers: async () => (workers ??= await startWorkers(runtime, { queues: ['submit'] })),
    enqueue: async (...names) => {
      await enqueueSubmits({
        queue: runtime.queues.submit,
        releases: names.map((name) => ({ name, normalized: normalizeProjectName(name), version: '1.0.0' })),
        targets: setup.config.submit.targets,
        batchId: batchIdFor(new Date()),
        origin: 'enqueue',
      });
    },
    settled: async (expected) => {
      await waitFor(
        async () => {
          const counts = await runtime.queues.submit.getJobCounts('completed', 'failed');
          return (counts.completed ?? 0) + (counts.failed ?? 0) >= expected;
        },
        { what: `${expected} settled submit jobs` },
      );
    },
    close: async () => {
      await dashboard.close();
      await workers?.close(5000);
      const redis = connectTestRedis();
      await deleteKeysWithPrefix(redis, setup.prefix);
      redis.disconnect();
      await runtime.close();
      await setup.remove();
    },
  };
  options.defer?.(() => harness.close());
  return harness;
}

/** A dashboard behind basic auth with the operator's login (OPERATOR_AUTH), as most route tests want it. */
export function createLockedDashboardHarness(options: HarnessOptions = {}): Promise<DashboardHarness> {
  return createDashboardHarness({ ...options, env: { DASHBOARD_USER, DASHBOARD_PASSWORD, ...options.env } });
}

/** `Authorization` header value for basic auth. */
export function basicAuthHeader(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}
