// "Nothing is lost": 2,000 releases published in bursts, polled and submitted by real `pypi-watch
// worker` processes while the test SIGKILLs submit workers every few seconds, SIGKILLs the poll
// worker at random moments and restarts redis-server once. At the end every release was submitted,
// every duplicate is a submit that was in flight in a killed worker, every job completed, and the
// batch logs list every release.

import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, test } from 'vitest';
import {
  connectRedis,
  createQueues,
  findFreePort,
  loadConfig,
  redisKeys,
  startEmbeddedRedis,
  type EmbeddedRedis,
} from '../../packages/core/src/index.js';
import {
  FakePypi,
  type FakeRelease,
  readSubmitCalls,
  seededRandom,
  type SubmitCall,
  JOB_YAML,
  STANDIN_SUBMIT,
  waitFor,
} from '@pypi-watch/test-utils';
import { WorkerFleet, type FleetWorker } from './support/worker-fleet.js';

const RELEASES = 2000;
const BURSTS = 5;
const SUBMIT_WORKERS = 3;
const SUBMIT_CONCURRENCY = 4;
/** How long the test keeps killing things; afterwards it only waits for the queue to drain. */
const CHAOS_MS = 60_000;
/**
 * A SIGKILLed worker's job comes back once its lock expires and the next stalled check runs: up to
 * twice `submit.lockDuration`, set short here (production keeps 30 s).
 */
const LOCK_DURATION = '5s';
const DRAIN_TIMEOUT_MS = 120_000;
const TARGET = { os_arch: 'aarch64', testbox: 'vm-2p8g' } as const;
const PREFIX = 'chaos';

type RecordedCall = SubmitCall & { readonly jobId?: string; readonly mode?: string };

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

type ChaosAction =
  | { readonly at: number; readonly kind: 'burst'; readonly index: number }
  | { readonly at: number; readonly kind: 'kill-submit' }
  | { readonly at: number; readonly kind: 'kill-poll' }
  | { readonly at: number; readonly kind: 'restart-redis' };

function planChaos(random: () => number): ChaosAction[] {
  const actions: ChaosAction[] = [];
  for (let index = 0; index < BURSTS; index++) actions.push({ at: index * 10_000 + Math.floor(random() * 2000), kind: 'burst', index });
  for (let at = 4000 + random() * 2000; at < CHAOS_MS; at += 3500 + random() * 3000)
    actions.push({ at: Math.floor(at), kind: 'kill-submit' });
  for (let index = 0; index < 3; index++) actions.push({ at: Math.floor(6000 + random() * (CHAOS_MS - 12_000)), kind: 'kill-poll' });
  actions.push({ at: Math.floor(24_000 + random() * 12_000), kind: 'restart-redis' });
  return actions.sort((a, b) => a.at - b.at);
}

function argValue(argv: readonly string[], key: string): string | undefined {
  const arg = argv.find((a) => a.startsWith(`${key}=`));
  return arg?.slice(key.length + 1);
}

/** The worker process that ran a call: its slot HOME is `<dataDir>/submit-home/<host>-<pid>/slot-<n>`. */
function workerPidOf(call: RecordedCall): number | undefined {
  const match = /-(\d+)\/slot-\d+$/.exec(call.home);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

async function readSuccessLists(logDir: string): Promise<Map<string, Set<string>>> {
  const byName = new Map<string, Set<string>>();
  for (const folder of await readdir(logDir).catch(() => [] as string[])) {
    const text = await readFile(join(logDir, folder, 'submit-succ-list'), 'utf8').catch(() => '');
    for (const line of text.split('\n').filter(Boolean)) {
      const match = /^(\S+) {2}(\S+)$/.exec(line);
      expect(match, `malformed line in ${folder}/submit-succ-list: ${JSON.stringify(line)}`).not.toBeNull();
      const [, name = '', jobId = ''] = match ?? [];
      const ids = byName.get(name) ?? new Set<string>();
      ids.add(jobId);
      byName.set(name, ids);
    }
  }
  return byName;
}

describe('crash suite', () => {
  test('2,000 releases through SIGKILLed workers and a redis-server restart: nothing lost', async () => {
    const wallStart = Date.now();
    const seed = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
    // mulberry32, so a failing run can be replayed with CHAOS_SEED.
    const random = seededRandom(seed);

    const dir = await mkdtemp(join(tmpdir(), 'pypi-watch-chaos-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const redisDir = join(dir, 'redis');
    // A fixed port (and, on restart, the same password), so the restarted server keeps the URL every worker was given.
    const port = await findFreePort();
    let redisServer: EmbeddedRedis = await startEmbeddedRedis({ dir: redisDir, appendOnly: true, port });
    cleanups.push(() => redisServer.stop());

    const pypi = new FakePypi();
    const baseUrl = await pypi.start();
    cleanups.push(() => pypi.stop());

    const configFile = join(dir, 'pypi-watch.yaml');
    // JSON is YAML too (and `yaml` is not a dependency of the repository root).
    await writeFile(
      configFile,
      JSON.stringify(
        {
          redis: { url: redisServer.url, prefix: PREFIX },
          dataDir: join(dir, 'var'),
          source: { type: 'changelog', baseUrl, pagePause: 0 },
          submit: {
            command: STANDIN_SUBMIT,
            jobYaml: JOB_YAML,
            targets: [TARGET],
            concurrency: SUBMIT_CONCURRENCY,
            rateLimit: { max: 1000, duration: '1s' },
            attempts: 5,
            backoff: '200ms',
            timeout: '30s',
            lockDuration: LOCK_DURATION,
          },
          log: { level: 'info' },
          shutdown: { timeout: '10s' },
        },
        null,
        2,
      ),
    );
    const config = loadConfig({ file: configFile, env: {} });
    const recordFile = join(dir, 'submit-calls.jsonl');
    const env = { STANDIN_SUBMIT_RECORD: recordFile, STANDIN_SUBMIT_DELAY_MS: '50-200' };

    const redis = await connectRedis({ url: redisServer.url, connectionName: 'chaos-test' });
    redis.on('error', () => {}); // the restart makes it reconnect; commands wait meanwhile
    const queues = createQueues(redis, config);
    for (const queue of queues.all) queue.on('error', () => {}); // likewise, during the restart
    cleanups.push(async () => {
      await queues.close();
      redis.disconnect();
    });
    const cursorKey = redisKeys(PREFIX).cursor;
    const readSerial = async (): Promise<number | undefined> => {
      const raw = await redis.get(cursorKey);
      return raw === null ? undefined : (JSON.parse(raw) as { cursor: { serial: number } }).cursor.serial;
    };

    const fleet = new WorkerFleet({ configFile, env, submitConcurrency: SUBMIT_CONCURRENCY });
    cleanups.push(() => fleet.stopAll(5000));
    for (let index = 0; index < SUBMIT_WORKERS; index++) fleet.start('submit');
    fleet.start('poll');
    await fleet.ready();

    // The first poll only sets the cursor (a changelog source never replays PyPI's history).
    await queues.poll.add('poll', {});
    await waitFor(readSerial, { timeoutMs: 30_000, what: 'the first poll to set the cursor' });

    let triggering = true;
    let pollsAdded = 1;
    const pollTrigger = (async () => {
      while (triggering) {
        if ((await queues.poll.getWaitingCount()) === 0) {
          await queues.poll.add('poll', {});
          pollsAdded++;
        }
        await sleep(1000);
      }
    })();

    const published: FakeRelease[] = [];
    let redisRestarts = 0;
    const replaceSubmitWorker = async (): Promise<void> => {
      const live = fleet.live('submit');
      const victim: FleetWorker | undefined = live[Math.floor(random() * live.length)];
      if (victim) await fleet.kill(victim);
      fleet.start('submit');
    };

    const chaosStart = Date.now();
    for (const action of planChaos(random)) {
      const wait = chaosStart + action.at - Date.now();
      if (wait > 0) await sleep(wait);
      switch (action.kind) {
        case 'burst':
          published.push(...pypi.publishGenerated(RELEASES / BURSTS, { sameSecond: 20, prefix: `chaos-b${action.index}` }));
          break;
        case 'kill-submit':
          await replaceSubmitWorker();
          break;
        case 'kill-poll': {
          const [poller] = fleet.live('poll');
          if (poller) await fleet.kill(poller);
          fleet.start('poll');
          break;
        }
        case 'restart-redis':
          // A worker still starting up would fail fast on a missing Redis, which is correct but not this test.
          await fleet.ready();
          await redisServer.stop();
          await sleep(500 + Math.floor(random() * 1000));
          redisServer = await startEmbeddedRedis({ dir: redisDir, appendOnly: true, port, password: redisServer.password });
          redisRestarts++;
          break;
      }
    }
    const chaosEnd = Date.now();

    // Every burst must reach the queue: the poll queue runs one job at a time, and a job in a killed
    // poll worker holds that slot until it is found stalled, so give it the stall window.
    await waitFor(async () => (await readSerial()) === pypi.lastSerial, {
      timeoutMs: 120_000,
      intervalMs: 500,
      what: `the cursor to reach serial ${pypi.lastSerial}`,
    });
    await waitFor(async () => (await queues.submit.getJobCountByTypes('completed', 'failed')) >= RELEASES, {
      timeoutMs: DRAIN_TIMEOUT_MS,
      intervalMs: 500,
      what: `${RELEASES} settled submit jobs`,
    });
    const drainMs = Date.now() - chaosEnd;
    triggering = false;
    await pollTrigger;

    // --- What happened -------------------------------------------------------------------------
    const counts = await queues.submit.getJobCounts(
      'completed',
      'failed',
      'active',
      'waiting',
      'delayed',
      'prioritized',
      'waiting-children',
    );
    const completed = await queues.submit.getJobs(['completed'], 0, -1);
    const failed = await queues.submit.getJobs(['failed'], 0, -1);
    const pollCounts = await queues.poll.getJobCounts('completed', 'failed');
    const calls = (await readSubmitCalls(recordFile)) as RecordedCall[];
    const pairOf = (name: string, target: Readonly<Record<string, string>>) => `${name}|${target.os_arch}|${target.testbox}`;
    const pairOfCall = (call: RecordedCall) =>
      pairOf(argValue(call.argv, 'repo_addr') ?? '', {
        os_arch: argValue(call.argv, 'os_arch') ?? '',
        testbox: argValue(call.argv, 'testbox') ?? '',
      });

    const expectedPairs = new Set(published.map((release) => pairOf(release.name, TARGET)));
    const submittedPairs = new Set(calls.map(pairOfCall));
    const neverSubmitted = [...expectedPairs].filter((pair) => !submittedPairs.has(pair));
    const duplicates = calls.length - submittedPairs.size;

    // The call whose farm job id a completed job returned is the one that counted; every other call
    // was wasted, and must have been in flight in a worker the test killed.
    const accepted = new Set(completed.map((job) => (job.returnvalue as { jobId?: string } | null)?.jobId));
    const killedAt = new Map(fleet.kills.filter((kill) => kill.role === 'submit').map((kill) => [kill.pid, kill.at]));
    const wasted = calls.filter((call) => call.jobId === undefined || !accepted.has(call.jobId));
    // The stand-in records itself a little after it is spawned, and a killed worker's submit keeps running.
    const inFlightAtKill = wasted.filter((call) => {
      const pid = workerPidOf(call);
      const at = pid === undefined ? undefined : killedAt.get(pid);
      return at !== undefined && call.time <= at + 3000;
    });
    const wastedByKilledPid = new Map<number, number>();
    for (const call of inFlightAtKill) {
      const pid = workerPidOf(call) ?? 0;
      wastedByKilledPid.set(pid, (wastedByKilledPid.get(pid) ?? 0) + 1);
    }
    const stalledJobs = completed.filter((job) => (job.stalledCounter ?? 0) > 0).length;

    const successLists = await readSuccessLists(config.paths.logDir);
    const logFolders = await readdir(config.paths.logDir).catch(() => [] as string[]);
    const failLists = (
      await Promise.all(
        logFolders.map(async (folder) =>
          (await readFile(join(config.paths.logDir, folder, 'submit-fail-list'), 'utf8').catch(() => '')) ? folder : '',
        ),
      )
    ).filter(Boolean);
    const missingFromSuccessLists = published.filter((release) => !successLists.has(release.name)).map((release) => release.name);
    const acceptedNotListed = completed
      .filter((job) => {
        const jobId = (job.returnvalue as { jobId?: string } | null)?.jobId ?? '';
        return !successLists.get((job.data as { name: string }).name)?.has(jobId);
      })
      .map((job) => job.id);
    const updateListNames = new Set<string>();
    for (const file of await readdir(config.paths.updateListDir).catch(() => [] as string[])) {
      for (const name of (await readFile(join(config.paths.updateListDir, file), 'utf8')).split('\n').filter(Boolean))
        updateListNames.add(name);
    }
    const missingFromUpdateLists = published.filter((release) => !updateListNames.has(release.name)).length;

    const workerLines = fleet.all.flatMap((worker) =>
      worker.child
        .output()
        .stdout.split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => {
          try {
            return JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
          } catch {
            return {}; // a line cut off by SIGKILL
          }
        }),
    );
    const errorMessages = new Map<string, number>();
    for (const line of workerLines) {
      if ((line.level ?? 0) < 50) continue;
      const key = `${line.msg ?? '?'}: ${(line.err?.message ?? '').slice(0, 120)}`;
      errorMessages.set(key, (errorMessages.get(key) ?? 0) + 1);
    }

    // Anything a worker wrote outside its JSON log (BullMQ prints unhandled queue errors with console.error).
    const stderrLines = fleet.all.flatMap((worker) =>
      worker.child
        .output()
        .stderr.split('\n')
        .filter((line) => line.trim() !== ''),
    );
    const figures = {
      seed,
      releases: published.length,
      targets: 1,
      submits: calls.length,
      duplicates,
      inFlightAtKills: inFlightAtKill.length,
      submitWorkerKills: fleet.kills.filter((kill) => kill.role === 'submit').length,
      pollWorkerKills: fleet.kills.filter((kill) => kill.role === 'poll').length,
      redisRestarts,
      stalledJobsRecovered: stalledJobs,
      pollJobs: pollsAdded,
      pollsCompleted: pollCounts.completed ?? 0,
      pollsFailed: pollCounts.failed ?? 0,
      missingFromUpdateLists,
      workerErrorLines: [...errorMessages.values()].reduce((a, b) => a + b, 0),
      workerStderrLines: stderrLines.length,
      chaosMs: chaosEnd - chaosStart,
      drainMs,
      wallMs: Date.now() - wallStart,
    };
    console.log(`CHAOS_FIGURES ${JSON.stringify(figures)}`);
    console.log(
      ['figure                  value', ...Object.entries(figures).map(([key, value]) => `${key.padEnd(24)}${String(value)}`)].join('\n'),
    );
    if (errorMessages.size > 0) console.log('worker error lines:', Object.fromEntries(errorMessages));
    if (stderrLines.length > 0) console.log('worker stderr (first 5 distinct):', [...new Set(stderrLines)].slice(0, 5));

    // --- What must hold ------------------------------------------------------------------------
    expect(fleet.unexpectedExits, 'a worker process died without being killed').toEqual([]);
    expect(published).toHaveLength(RELEASES);
    expect(neverSubmitted, 'releases never submitted').toEqual([]);
    expect(
      failed.map((job) => ({ id: job.id, reason: job.failedReason, stalled: job.stalledCounter })),
      'submit jobs failed (lost)',
    ).toEqual([]);
    expect(counts).toEqual({
      completed: RELEASES,
      failed: 0,
      active: 0,
      waiting: 0,
      delayed: 0,
      prioritized: 0,
      'waiting-children': 0,
    });
    expect(
      wasted
        .filter((call) => !inFlightAtKill.includes(call))
        .map((call) => ({ pair: pairOfCall(call), workerPid: workerPidOf(call), time: call.time })),
      'a submit was repeated that no kill explains',
    ).toEqual([]);
    expect(duplicates).toBeLessThanOrEqual(inFlightAtKill.length);
    for (const [pid, count] of wastedByKilledPid)
      expect(count, `worker ${pid} had more submits in flight than its concurrency`).toBeLessThanOrEqual(SUBMIT_CONCURRENCY);
    expect(missingFromSuccessLists, 'releases missing from every submit-succ-list').toEqual([]);
    expect(acceptedNotListed, 'completed jobs whose farm job id is in no submit-succ-list').toEqual([]);
    expect(failLists, 'batch folders with a submit-fail-list').toEqual([]);
    expect(await readSerial()).toBe(pypi.lastSerial);

    // A SIGTERM after all that still stops every worker cleanly.
    const stops = await fleet.stopAll();
    expect(
      stops.filter((stop) => stop.code !== 0),
      'workers that did not exit 0 on SIGTERM',
    ).toEqual([]);
  });
});
