// What a process loads is what it costs to start and to keep: `status` answers without BullMQ, the feed
// clients (got, fast-xml-parser) or execa, and a submit-only worker holds neither feed clients nor execa. Each
// command reaches core through a narrow entry point (`@pypi-watch/core/status`, `/workers`, …),
// not the index, which loads everything. Checked on the built bin, every loaded module recorded.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { REPO_ROOT, buildDist, createCliSetup, runCli, spawnCli, stopCli, waitFor, type CliSetup } from '@pypi-watch/test-utils';

const RECORD_LOADS = pathToFileURL(join(REPO_ROOT, 'apps/cli/test/support/record-loads.mjs')).href;
const RECORD_REQUIRES = pathToFileURL(join(REPO_ROOT, 'apps/cli/test/support/record-requires.mjs')).href;
const FEED_CLIENTS = ['got', 'fast-xml-parser'];
/** Loaded from packages/core/dist/vendor/, never as the packages' own files. */
const VENDORED = ['zod', 'yaml', 'ioredis', 'pino'];

const setups: CliSetup[] = [];
afterEach(async () => {
  for (const setup of setups.splice(0)) await setup.remove();
});

// The build the bin runs, from the sources under test.
beforeAll(() => buildDist(), 180_000);

/** The packages (by name, from pnpm's store paths) among the loaded module URLs. */
function packagesIn(loads: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const url of loads) {
    const match = /\/node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (match?.[1] !== undefined) names.add(match[1]);
  }
  return names;
}

async function readLoads(file: string): Promise<string[]> {
  return (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean);
}

/**
 * Runs a service command from the built bin until it logs `ready`, then stops it: the ES modules it
 * loaded (URLs), and the packages among them and among its require()s.
 */
async function recordService(args: readonly string[], ready: string) {
  const setup = await createCliSetup();
  setups.push(setup);
  const loadsFile = join(setup.dir, 'loads.txt');
  const requiresFile = join(setup.dir, 'requires.txt');
  const service = spawnCli([...args, '--config', setup.configFile], {
    from: 'bin',
    nodeArgs: ['--import', RECORD_LOADS, '--import', RECORD_REQUIRES],
    cwd: setup.dir,
    env: { ...setup.env, RECORD_LOADS_FILE: loadsFile, RECORD_REQUIRES_FILE: requiresFile, LOG_FORMAT: 'json' },
  });
  try {
    await waitFor(() => service.output().stdout.includes(`"msg":"${ready}"`), { timeoutMs: 30_000 });
  } finally {
    await stopCli(service);
  }
  const loads = await readLoads(loadsFile);
  return { loads, loaded: packagesIn(loads), required: packagesIn(await readLoads(requiresFile)) };
}

describe('narrow entry points', () => {
  test('status --json loads neither BullMQ, the feed clients, execa nor the text layout', async () => {
    const setup = await createCliSetup();
    setups.push(setup);
    const loadsFile = join(setup.dir, 'loads.txt');
    const requiresFile = join(setup.dir, 'requires.txt');
    const result = await runCli(['status', '--json', '--config', setup.configFile], {
      from: 'bin',
      nodeArgs: ['--import', RECORD_LOADS, '--import', RECORD_REQUIRES],
      cwd: setup.dir,
      env: { ...setup.env, RECORD_LOADS_FILE: loadsFile, RECORD_REQUIRES_FILE: requiresFile },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toHaveProperty('queues.submit.waiting', 0);
    const loads = await readLoads(loadsFile);
    const loaded = packagesIn(loads);
    const requiredFiles = await readLoads(requiresFile);
    const required = packagesIn(requiredFiles);
    // What status does load, so the checks cannot pass by recording nothing. zod, yaml, ioredis and
    // pino come pre-bundled, one file each (packages/core/scripts/bundle-vendor.mjs), not as their
    // ~260 files: the ES module that names a bundle's exports, and the loader that compiles it.
    expect([...loaded]).toEqual(expect.arrayContaining(['commander']));
    const vendored = loads.filter((url) => url.includes('/packages/core/dist/vendor/'));
    expect(vendored.map((url) => url.replace(/.*\//, '')).sort()).toEqual([
      'cached-bundle.js',
      'ioredis.js',
      'pino.js',
      'yaml.js',
      'zod.js',
    ]);
    for (const name of VENDORED) expect(loaded.has(name) || required.has(name), name).toBe(false);
    for (const name of [...FEED_CLIENTS, 'execa', 'string-width']) expect(loaded.has(name), name).toBe(false);
    // Of BullMQ, only the file that holds its count script's Lua text.
    const fromBullmq = requiredFiles.filter((file) => file.includes('/node_modules/bullmq/'));
    expect(fromBullmq.map((file) => file.replace(/.*\/node_modules\/bullmq\//, ''))).toEqual(['dist/cjs/scripts/getCounts-1.js']);
  });

  test('a submit-only worker loads no feed client, no execa (submit runs through node:child_process) and one ioredis', async () => {
    const { loads, loaded, required } = await recordService(['worker', '--queues', 'submit'], 'workers started');
    expect(loads.some((url) => url.endsWith('/packages/core/dist/submit/submit-runner.js'))).toBe(true);
    for (const name of [...FEED_CLIENTS, 'execa']) expect(loaded.has(name), name).toBe(false);
    // BullMQ is handed the bundle's ioredis connections, so it never loads the package for its own.
    expect([...required]).toEqual(expect.arrayContaining(['bullmq']));
    for (const name of VENDORED) expect(loaded.has(name) || required.has(name), name).toBe(false);
  });

  test('`start` (scheduler, every worker, the dashboard) loads zod, yaml, ioredis and pino only from their bundles', async () => {
    // Bull Board, the poll worker and the scheduler included: none of them loads a second ioredis.
    const { loads, loaded, required } = await recordService(['start'], 'pypi-watch started');
    expect([...loaded, ...required]).toEqual(expect.arrayContaining(['bullmq', '@bull-board/api', 'got']));
    expect(loads.filter((url) => url.includes('/packages/core/dist/vendor/')).length).toBe(5);
    for (const name of VENDORED) expect(loaded.has(name) || required.has(name), name).toBe(false);
  });
});
