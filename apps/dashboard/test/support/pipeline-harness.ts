// The whole pipeline on the test Redis for the console's pages: a FakePypi polled by the real poller,
// submit and result workers running the stand-in `submit`, a test-played farm that lays out result
// folders, and the dashboard over all of it. What the pages show is what this pipeline wrote.

import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createPoller, openRuntime, startWorkers, type Runtime, type WorkerSet } from '@pypi-watch/core';
import {
  captureLogs,
  connectTestRedis,
  createTestSetup,
  deleteKeysWithPrefix,
  FakePypi,
  waitFor,
  type CapturedLogs,
  type TestSetup,
} from '@pypi-watch/test-utils';
import { startDashboard, type RunningDashboard } from '../../src/index.js';

/** A farm's result folder: file name → content. `output` with `rpmbuild success` is a success. */
export type FarmFiles = Record<string, string>;

/** The farm's answer for a build of `repo`. */
export type Farm = (repo: string) => FarmFiles;

export const FARM_OK: FarmFiles = { output: 'rpmbuild success\n' };

/** A build that fails because build.log says `No module named '<module>'`. */
export const farmMissing = (module: string): FarmFiles => ({
  output: 'error\n',
  'build.log': `Traceback (most recent call last):\nModuleNotFoundError: No module named '${module}'\n`,
});

export interface PipelineHarness {
  readonly pypi: FakePypi;
  readonly setup: TestSetup;
  readonly runtime: Runtime;
  readonly logs: CapturedLogs;
  readonly dashboard: RunningDashboard;
  readonly poller: Awaited<ReturnType<typeof createPoller>>;
  /** Lays out the result folder of every build submitted so far that has none yet. */
  layOutResults(): Promise<void>;
  /** Plays the farm until this many result jobs completed. */
  untilResults(count: number): Promise<void>;
  close(): Promise<void>;
}

export interface PipelineOptions {
  readonly farm: Farm;
  /** Config-file keys on top of the harness's own. */
  readonly config?: Record<string, unknown>;
  readonly env?: NodeJS.ProcessEnv;
}

export async function createPipelineHarness(options: PipelineOptions): Promise<PipelineHarness> {
  const pypi = new FakePypi();
  const baseUrl = await pypi.start();
  const setup = await createTestSetup(
    (dir) => ({
      source: { type: 'changelog', baseUrl, pagePause: 0 },
      results: { every: '100ms', giveUpAfter: '20s', pathMap: { '/srv': join(dir, 'farm-srv') } },
      dashboard: { host: '127.0.0.1', port: 0 },
      submit: { attempts: 1 },
      ...options.config,
    }),
    options.env ?? {},
  );
  const logs = captureLogs();
  const runtime = await openRuntime({ config: setup.config, logger: logs.logger, connectionName: 'pypi-watch:console-test' });
  let workers: WorkerSet | undefined;
  let dashboard: RunningDashboard | undefined;
  try {
    const poller = await createPoller({ config: setup.config, redis: runtime.redis, queues: runtime.queues, logger: logs.logger });
    workers = await startWorkers(runtime, {
      queues: ['submit', 'result'],
      submitEnv: { STANDIN_SUBMIT_RECORD: join(setup.dir, 'submit-calls.jsonl') },
    });
    dashboard = await startDashboard(runtime);
    const srv = join(setup.dir, 'farm-srv');
    const laidOut = new Set<string>();
    const layOutResults = async () => {
      const logDir = setup.config.paths.logDir;
      for (const batch of await readdir(logDir).catch(() => [])) {
        const roots = (await readFile(join(logDir, batch, 'result_root_list'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
        for (const root of roots) {
          if (laidOut.has(root) || !root.startsWith('/srv/')) continue;
          laidOut.add(root);
          const repo = root.split('/').at(-2) ?? '';
          const local = join(srv, root.slice('/srv'.length));
          await mkdir(local, { recursive: true });
          await writeFile(join(local, 'job.yaml'), `repo_addr: ${repo}\n`);
          for (const [file, text] of Object.entries(options.farm(repo))) await writeFile(join(local, file), text);
        }
      }
    };
    const running = { workers, dashboard };
    return {
      pypi,
      setup,
      runtime,
      logs,
      dashboard,
      poller,
      layOutResults,
      untilResults: async (count) => {
        await waitFor(
          async () => {
            await layOutResults();
            const { completed = 0 } = await runtime.queues.result.getJobCounts('completed');
            return completed >= count;
          },
          { what: `${count} build results`, timeoutMs: 60_000 },
        );
      },
      close: async () => {
        await running.dashboard.close();
        await running.workers.close(5000);
        await closeAll(runtime, setup, pypi);
      },
    };
  } catch (error) {
    await dashboard?.close();
    await workers?.close(5000);
    await closeAll(runtime, setup, pypi);
    throw error;
  }
}

async function closeAll(runtime: Runtime, setup: TestSetup, pypi: FakePypi): Promise<void> {
  const redis = connectTestRedis();
  await deleteKeysWithPrefix(redis, setup.prefix);
  redis.disconnect();
  await runtime.close();
  await pypi.stop();
  await setup.remove();
}
