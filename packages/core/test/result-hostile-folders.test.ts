// Farm result folders are on a mount anyone on the farm can write to. FIFOs, symlinks out of the
// mapped root and links to /etc/passwd must end as `unreadable`, never hang the result slots, and
// never starve the submit work running in the same process (libuv's 4 threads are shared).

import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, openSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { batchIdFor } from '../src/batch/batch-log.js';
import { enqueueSubmits } from '../src/enqueue/enqueue-submits.js';
import { redisKeys } from '../src/redis/redis-keys.js';
import { normalizeProjectName } from '../src/release/project-name.js';
import type { BuildOutcome } from '../src/results/build-outcome.js';
import { ResultStore } from '../src/results/result-store.js';
import { createWorkerHarness, type WorkerHarness, waitFor } from '@pypi-watch/test-utils';

let harness: WorkerHarness | undefined;
const fifos: string[] = [];
afterEach(async () => {
  // Before the fix a blocked open() of a FIFO never returns: let any such reader go, so the
  // workers can close and the failure is a failed assertion, not a hung test process.
  const release = () => {
    for (const fifo of fifos) {
      try {
        closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
      } catch {
        // ENXIO: no reader blocked on it.
      }
    }
  };
  const timer = setInterval(release, 20);
  try {
    await harness?.close();
  } finally {
    clearInterval(timer);
    fifos.splice(0);
    harness = undefined;
  }
});

type Layout = 'fifo-output' | 'fifo-build-log' | 'passwd-link' | 'escape-dir' | 'success';

/** Enough FIFOs to take every result slot (concurrency 4) and every libuv thread (4) at once. */
const HOSTILE: Record<string, Layout> = {
  'fifo-one': 'fifo-output',
  'fifo-two': 'fifo-output',
  'fifo-three': 'fifo-output',
  'fifo-four': 'fifo-output',
  'fifo-five': 'fifo-output',
  'fifo-log': 'fifo-build-log',
  'passwd-link': 'passwd-link',
  'escape-dir': 'escape-dir',
  'plain-ok': 'success',
};
const LATER = ['after-one', 'after-two', 'after-three', 'after-four'];

describe('hostile result folders', () => {
  test('FIFOs and symlinks end as unreadable, and submits in the same process keep completing', async () => {
    harness = await createWorkerHarness(
      (dir) => ({ results: { every: '100ms', giveUpAfter: '60s', pathMap: { '/srv': join(dir, 'farm-srv') } } }),
      { queues: ['submit', 'result'] },
    );
    const { setup, runtime } = harness;
    const srv = join(setup.dir, 'farm-srv');
    const outside = join(setup.dir, 'outside-the-mount');
    const batchId = batchIdFor(new Date());
    const submit = (names: readonly string[]) =>
      enqueueSubmits({
        queue: runtime.queues.submit,
        releases: names.map((name) => ({ name, normalized: normalizeProjectName(name), version: '1.0' })),
        targets: setup.config.submit.targets,
        batchId,
        origin: 'enqueue',
      });

    // Play the farm: lay out each build's folder as its result_root is recorded. Synchronous fs on
    // purpose: it runs on this thread, not libuv's pool, so a pool blocked by FIFOs (the bug) shows
    // up as a failed wait below instead of freezing the test's own farm.
    const laidOut = new Set<string>();
    const playFarm = (): number => {
      let list = '';
      try {
        list = readFileSync(join(setup.config.paths.logDir, batchId, 'result_root_list'), 'utf8');
      } catch {
        // Not written yet.
      }
      for (const root of list.split('\n').filter(Boolean)) {
        if (laidOut.has(root)) continue;
        laidOut.add(root);
        const name = root.split('/').at(-2) ?? '';
        const local = join(srv, root.slice('/srv'.length));
        const layout = HOSTILE[name] ?? 'success';
        if (layout === 'escape-dir') {
          // The folder itself links out of the mount, to a build that would read as a success.
          const target = join(outside, name);
          mkdirSync(target, { recursive: true });
          writeFileSync(join(target, 'output'), 'rpmbuild success\n');
          mkdirSync(join(local, '..'), { recursive: true });
          symlinkSync(target, local);
          continue;
        }
        mkdirSync(local, { recursive: true });
        writeFileSync(join(local, 'job.yaml'), `repo_addr: ${name}\n`);
        if (layout === 'fifo-output') {
          execFileSync('mkfifo', [join(local, 'output')]);
          fifos.push(join(local, 'output'));
        } else if (layout === 'fifo-build-log') {
          writeFileSync(join(local, 'output'), 'error\n');
          execFileSync('mkfifo', [join(local, 'build.log')]);
          fifos.push(join(local, 'build.log'));
        } else if (layout === 'passwd-link') {
          symlinkSync('/etc/passwd', join(local, 'output'));
        } else {
          writeFileSync(join(local, 'output'), 'rpmbuild success\n');
        }
      }
      return laidOut.size;
    };

    const hostile = Object.keys(HOSTILE);
    await submit(hostile);
    await waitFor(() => playFarm() >= hostile.length, {
      what: 'every hostile submit recording its result_root (they stall if result reads block the pool)',
      timeoutMs: 20_000,
    });
    // Let the result jobs reach the FIFOs: before the fix their open() calls block right here.
    await waitFor(
      async () => {
        const counts = await runtime.queues.result.getJobCounts('active', 'completed');
        return (counts.active ?? 0) >= 4 || (counts.completed ?? 0) >= hostile.length;
      },
      { what: 'the result slots busy with the hostile folders', timeoutMs: 20_000 },
    );

    // More submits, in the same process, after the FIFOs: they must not queue behind them.
    const submitStarted = Date.now();
    await submit(LATER);
    await waitFor(async () => (await runtime.queues.submit.getJobCounts('completed')).completed === hostile.length + LATER.length, {
      what: 'the later submits completing',
      timeoutMs: 15_000,
    });
    const laterSubmitsMs = Date.now() - submitStarted;

    await waitFor(
      async () => {
        playFarm();
        return (await runtime.queues.result.getJobCounts('completed')).completed === hostile.length + LATER.length;
      },
      { what: 'every result job completed (none hung)', timeoutMs: 20_000 },
    );

    const store = new ResultStore({ redis: runtime.redis, keys: redisKeys(setup.prefix) });
    const byName = new Map<string, BuildOutcome>((await store.since(0)).map((o) => [o.name, o]));
    for (const name of ['fifo-one', 'fifo-two', 'fifo-three', 'fifo-four', 'fifo-five']) {
      expect(byName.get(name)).toMatchObject({ status: 'unreadable', unreadable: { reason: 'not-a-regular-file', file: 'output' } });
    }
    expect(byName.get('fifo-log')).toMatchObject({ status: 'unreadable', unreadable: { reason: 'not-a-regular-file', file: 'build.log' } });
    expect(byName.get('passwd-link')).toMatchObject({ status: 'unreadable', unreadable: { reason: 'symlink', file: 'output' } });
    expect(byName.get('escape-dir')).toMatchObject({ status: 'unreadable', unreadable: { reason: 'outside-root' } });
    for (const name of ['plain-ok', ...LATER]) expect(byName.get(name)).toMatchObject({ status: 'success' });

    const report = await store.report(0);
    expect(report.byStatus).toEqual({ success: 5, failure: 0, 'gave-up': 0, unmapped: 0, unreadable: 8 });
    // A clear log line for each, naming why and which file; and the batch's fail list says unreadable.
    const warned = harness.logs.lines.filter((l) => l.msg === 'result folder is not safe to read; not reading it');
    expect(warned).toHaveLength(8);
    const failList = await readFile(join(setup.config.paths.logDir, batchId, 'result-fail-list'), 'utf8');
    expect(
      failList
        .trim()
        .split('\n')
        .map((l) => l.split('  ').slice(0, 2).join(' '))
        .sort(),
    ).toEqual(
      ['escape-dir', 'fifo-five', 'fifo-four', 'fifo-log', 'fifo-one', 'fifo-three', 'fifo-two', 'passwd-link'].map(
        (n) => `${n} unreadable`,
      ),
    );
    process.stdout.write(`hostile result folders: 4 later submits completed in ${laterSubmitsMs} ms\n`);
  }, 60_000);
});
