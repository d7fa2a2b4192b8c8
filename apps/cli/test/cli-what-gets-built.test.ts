// The "what gets built" issue's done-when, through the CLI against the fake PyPI: the sdist gate,
// latest wins, withdrawals and restorations, the RSS window, and a bogus serial.

import { describe, expect } from 'vitest';
import { readSubmitCalls, waitFor, runCli, spawnCli, stopCli, type CliSetup } from '@pypi-watch/test-utils';
import { test, type TestFixtures } from '@pypi-watch/test-utils/fixtures';

const TARGETS = [
  { os_arch: 'aarch64', testbox: 'vm-2p8g' },
  { os_arch: 'x86_64', testbox: 'vm-2p8g' },
];

/** A CLI setup polling the test's fake PyPI, with two targets. */
function start({ pypi, makeCli }: Pick<TestFixtures, 'pypi' | 'makeCli'>, type: 'changelog' | 'rss'): Promise<CliSetup> {
  return makeCli({ source: { type, baseUrl: pypi.baseUrl, pagePause: 0 }, submit: { targets: TARGETS } });
}

async function cli(setup: CliSetup, ...args: string[]): Promise<string> {
  const result = await runCli([...args, '--config', setup.configFile], { env: setup.env });
  expect(result.code, result.stderr).toBe(0);
  return result.stdout;
}

async function poll(setup: CliSetup): Promise<Record<string, unknown>> {
  return JSON.parse(await cli(setup, 'poll', '--json')) as Record<string, unknown>;
}

/** `repo_addr` of every submit the stand-in ran, sorted. */
async function submitted(setup: CliSetup): Promise<string[]> {
  return (await readSubmitCalls(setup.recordFile)).map((call) => call.argv.find((arg) => arg.startsWith('repo_addr=')) ?? '').sort();
}

describe('what gets built, through the CLI', () => {
  test('sdist gate, latest wins, withdrawals and restorations, and a yank after the submit', async ({ pypi, makeCli }) => {
    const setup = await start({ pypi, makeCli }, 'changelog');
    await poll(setup);
    pypi.publish([
      { name: 'late-sdist', version: '1.0', files: ['bdist_wheel'] },
      { name: 'wheel-only', version: '1.0', files: ['bdist_wheel'] },
      { name: 'rapid', version: '1.0' },
      { name: 'yanked-early', version: '1.0' },
      { name: 'quarantined', version: '1.0' },
      { name: 'flip', version: '1.0' },
    ]);
    pypi.yank('yanked-early', '1.0');
    pypi.quarantineRelease('quarantined', '1.0');
    expect(await poll(setup)).toMatchObject({ queued: 2, waiting: 2, withdrawn: 2 });

    pypi.addFile('late-sdist', '1.0', 'sdist');
    pypi.publish([
      { name: 'rapid', version: '1.1' },
      { name: 'rapid', version: '1.2' },
    ]);
    pypi.yank('flip', '1.0');
    expect(await poll(setup)).toMatchObject({ queued: 2, joined: 1, superseded: 1, withdrawnJobsRemoved: 2 });
    pypi.unyank('flip', '1.0');
    expect(await poll(setup)).toMatchObject({ restored: 1, queued: 1 });

    const worker = spawnCli(['worker', '--queues', 'submit', '--config', setup.configFile], { env: setup.env });
    try {
      await waitFor(async () => (await readSubmitCalls(setup.recordFile)).length >= 6, { what: 'six submits', timeoutMs: 60_000 });
      // Give a wrongly queued seventh a moment to show up.
      await new Promise((resolve) => setTimeout(resolve, 1500));
    } finally {
      expect(await stopCli(worker)).toBe(0);
    }
    // One per target each: late-sdist after its sdist, rapid once (for 1.2), flip after its unyank.
    expect(await submitted(setup)).toEqual([
      'repo_addr=flip',
      'repo_addr=flip',
      'repo_addr=late-sdist',
      'repo_addr=late-sdist',
      'repo_addr=rapid',
      'repo_addr=rapid',
    ]);

    expect(await cli(setup, 'why', 'wheel-only==1.0')).toMatch(/waiting for sdist since/);
    expect(await cli(setup, 'why', 'rapid==1.0')).toMatch(/superseded by 1\.2/);
    expect(await cli(setup, 'why', 'rapid==1.2')).toMatch(/submitted for os_arch=aarch64,testbox=vm-2p8g: farm job/);
    expect(await cli(setup, 'why', 'yanked-early')).toMatch(/withdrawn on PyPI: the release was yanked/);
    expect(await cli(setup, 'why', 'flip==1.0')).toMatch(/restored on PyPI \(unyanked\)/);
    expect(await cli(setup, 'status')).toMatch(/gate: 1 waiting for an sdist \(longest: wheel-only 1\.0/);

    pypi.yank('late-sdist', '1.0');
    expect(await poll(setup)).toMatchObject({ builtThenWithdrawn: 1 });
    expect(await cli(setup, 'why', 'late-sdist==1.0')).toMatch(/built, then yanked upstream/);
    const report = await cli(setup, 'report');
    expect(report).toMatch(/built, then withdrawn upstream: 1/);
    expect(report).toMatch(/late-sdist 1\.0\s+yanked/);
  }, 120_000);

  test('an RSS poll whose last-seen release fell off the window makes one feed request and reports the gap', async ({ pypi, makeCli }) => {
    const setup = await start({ pypi, makeCli }, 'rss');
    pypi.publishGenerated(3);
    await poll(setup);
    pypi.publishGenerated(130, { sameSecond: 2 });
    const before = pypi.requests.filter((r) => r.path.startsWith('/rss/')).length;
    expect(await poll(setup)).toMatchObject({ gap: true, pages: 1, found: 100 });
    expect(pypi.requests.filter((r) => r.path.startsWith('/rss/')).length - before).toBe(1);
    expect(await cli(setup, 'status')).toMatch(/RSS gap: .*use source\.type: changelog/);
  }, 60_000);

  test('a serial far above the head leaves the next release still found', async ({ pypi, makeCli }) => {
    const setup = await start({ pypi, makeCli }, 'changelog');
    await poll(setup);
    pypi.publishMalformed({ changelog: ['bogus', '1.0', Math.floor(Date.now() / 1000), 'new release', 10 ** 12] });
    await poll(setup);
    pypi.publish([{ name: 'still-found', version: '1.0' }]);
    expect(await poll(setup)).toMatchObject({ queued: 1, lag: 0 });
  }, 60_000);
});
