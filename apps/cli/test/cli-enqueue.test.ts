// The "done when": 200 names from a list file, a separate worker process, one submit per name and target.

import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { readSubmitCalls, waitFor, runCli, spawnCli, stopCli, createCliSetup, type CliSetup } from '@pypi-watch/test-utils';

const TOP_NAMES = '/work/shared/data/pypi-top-100k.txt';
const setups: CliSetup[] = [];
afterEach(async () => {
  for (const setup of setups.splice(0)) await setup.remove();
});

async function topNames(count: number): Promise<string[]> {
  const text = await readFile(TOP_NAMES, 'utf8').catch(() => '');
  const names = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(0, count);
  // Without the shared list (a clone elsewhere), generate valid names instead.
  while (names.length < count) names.push(`generated-pkg-${names.length}`);
  return names;
}

async function statusJson(setup: CliSetup): Promise<{ queues: Record<string, Record<string, number>> }> {
  const result = await runCli(['status', '--json', '--config', setup.configFile], { env: setup.env });
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as { queues: Record<string, Record<string, number>> };
}

describe('pypi-watch enqueue -l FILE with a worker process', () => {
  test('200 names give one submit call each, a batch folder and matching status counts; invalid lines are reported', async () => {
    const setup = await createCliSetup({ submit: { concurrency: 8, rateLimit: { max: 1000, duration: '1s' } } });
    setups.push(setup);
    const names = await topNames(200);
    const lines = [...names.map((name) => `${name}  some-old-column`), 'foo;rm -rf /', '../x', '', '# a comment'];
    lines.splice(50, 0, '$(reboot) is not a name');
    const listFile = join(setup.dir, 'list.txt');
    await writeFile(listFile, `${lines.join('\n')}\n`);

    const enqueue = await runCli(['enqueue', '-l', listFile, '--config', setup.configFile], { env: setup.env });
    expect(enqueue.code).toBe(1);
    expect(enqueue.stdout).toMatch(/queued 200 submit job\(s\) for 200 package\(s\) × 1 target\(s\) in batch submit-log-\d{8}-\d{6}/);
    expect(enqueue.stderr).toContain(`list.txt:51`);
    expect(enqueue.stderr).toContain(`list.txt:202`);
    expect(enqueue.stderr).toContain(`list.txt:203`);
    expect(enqueue.stderr).toContain('3 invalid entries skipped');
    expect((await statusJson(setup)).queues.submit).toMatchObject({ waiting: 200, completed: 0 });

    const worker = spawnCli(['worker', '--queues', 'submit', '--config', setup.configFile], { env: setup.env });
    try {
      await waitFor(
        async () => (await readSubmitCalls(setup.recordFile)).length >= 200 && (await statusJson(setup)).queues.submit?.completed === 200,
        {
          timeoutMs: 60_000,
          intervalMs: 500,
          what: '200 completed submits',
        },
      );
    } finally {
      expect(await stopCli(worker)).toBe(0);
    }

    const calls = await readSubmitCalls(setup.recordFile);
    expect(calls).toHaveLength(200);
    const submitted = calls.map((call) => call.argv[1]?.replace('repo_addr=', '')).sort();
    expect(submitted).toEqual([...names].sort());
    expect((await statusJson(setup)).queues.submit).toMatchObject({ waiting: 0, active: 0, failed: 0, completed: 200 });

    const [batch, ...others] = await readdir(setup.logDir);
    expect(others).toEqual([]);
    const succ = (await readFile(join(setup.logDir, batch ?? '', 'submit-succ-list'), 'utf8')).trim().split('\n');
    expect(succ).toHaveLength(200);
    expect(worker.output().stdout).toContain('"msg":"submitted"');
  }, 120_000);
});
