// submit.rateLimit holds across worker processes: one counter in Redis, shared by all.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { readSubmitCalls, waitFor, runCli, spawnCli, stopCli, createCliSetup, type CliSetup } from '@pypi-watch/test-utils';

const setups: CliSetup[] = [];
afterEach(async () => {
  for (const setup of setups.splice(0)) await setup.remove();
});

describe('rate limit across two worker processes', () => {
  test("no window of the limit's length sees more starts than the limit, and both processes take part", async () => {
    const max = 4;
    const jobs = 24;
    const setup = await createCliSetup({ submit: { concurrency: 4, rateLimit: { max, duration: '1s' } } });
    setups.push(setup);
    const workers = [1, 2].map(() => spawnCli(['worker', '--queues', 'submit', '--config', setup.configFile], { env: setup.env }));
    try {
      const listFile = join(setup.dir, 'list.txt');
      await writeFile(listFile, Array.from({ length: jobs }, (_, i) => `rate-pkg-${i}==1.0`).join('\n'));
      expect((await runCli(['enqueue', '-l', listFile, '--config', setup.configFile], { env: setup.env })).code).toBe(0);
      await waitFor(async () => (await readSubmitCalls(setup.recordFile)).length >= jobs, {
        timeoutMs: 60_000,
        intervalMs: 200,
        what: `${jobs} submits`,
      });
    } finally {
      for (const worker of workers) expect(await stopCli(worker)).toBe(0);
    }
    const calls = await readSubmitCalls(setup.recordFile);
    expect(calls).toHaveLength(jobs);
    const times = calls.map((call) => call.time).sort((a, b) => a - b);
    // The limit holds over any window (the exact property is tested on StartPacer itself,
    // with Redis-side times). The stand-in records its start after Node's own start-up, whose jitter (up to a
    // few hundred ms on a loaded machine) is allowed for by a shorter window.
    const first = times[0] ?? 0;
    for (const t of times) expect(times.filter((u) => u >= t && u < t + 700).length).toBeLessThanOrEqual(max);
    expect((times.at(-1) ?? 0) - first).toBeGreaterThanOrEqual((jobs / max - 1) * 1000 - 250);
    const parentPids = new Set(calls.map((call) => call.home.split('/').at(-2)));
    expect(parentPids.size).toBe(2);
  }, 90_000);
});
