// The command operators run, `node apps/cli/bin/pypi-watch.js`, runs the build in dist/: freshly built
// here (`tsc -b`, as `pnpm install` and `pnpm build` do), it loads no TypeScript transpiler and no
// TypeScript source, never pino-pretty when its output is a pipe, and answers as the sources do.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { REPO_ROOT, buildDist, runCli, createCliSetup, type CliSetup } from '@pypi-watch/test-utils';

const RECORD_LOADS = pathToFileURL(join(REPO_ROOT, 'apps/cli/test/support/record-loads.mjs')).href;
/** What must never load on a production path: transpilers, their loaders, and any .ts/.mts/.cts module. */
const TRANSPILER = /\/node_modules\/(?:\.pnpm\/)?(?:tsx|esbuild|@esbuild|typescript|ts-node|@swc|get-tsconfig)[@/]|\.[mc]?ts$/;

const setups: CliSetup[] = [];
afterEach(async () => {
  for (const setup of setups.splice(0)) await setup.remove();
});

// The build the bin runs, from the sources under test.
beforeAll(() => buildDist(), 180_000);

/** Runs the bin with every loaded module recorded; returns the result and the module URLs. */
async function runBin(args: readonly string[], setup: CliSetup) {
  const loadsFile = join(setup.dir, 'loads.txt');
  const result = await runCli(args, {
    from: 'bin',
    nodeArgs: ['--import', RECORD_LOADS],
    cwd: setup.dir,
    env: { ...setup.env, RECORD_LOADS_FILE: loadsFile },
  });
  const loads = (await readFile(loadsFile, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  return { result, loads };
}

describe('apps/cli/bin/pypi-watch.js', () => {
  test('--help: runs dist/, loads no transpiler and no .ts file', async () => {
    const setup = await createCliSetup();
    setups.push(setup);
    const { result, loads } = await runBin(['--help'], setup);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: pypi-watch/);
    expect(loads).toContain(pathToFileURL(join(REPO_ROOT, 'apps/cli/dist/main.js')).href);
    expect(loads.filter((url) => TRANSPILER.test(url))).toEqual([]);
    // The hook itself sees every module: commander (CommonJS) is in the list.
    expect(loads.some((url) => url.includes('/commander/'))).toBe(true);
  });

  test('status --json against Redis: the same answer as the sources give, from dist/ only, JSON logs, no pino-pretty', async () => {
    const setup = await createCliSetup();
    setups.push(setup);
    const { result, loads } = await runBin(['status', '--json', '--config', setup.configFile], setup);
    expect(result.code, result.stderr).toBe(0);
    const fromSource = await runCli(['status', '--json', '--config', setup.configFile], { cwd: setup.dir, env: setup.env });
    expect(JSON.parse(result.stdout)).toEqual(JSON.parse(fromSource.stdout));
    const ours = loads.filter((url) => url.startsWith(pathToFileURL(REPO_ROOT).href) && !url.includes('/node_modules/'));
    expect(ours.length).toBeGreaterThan(20);
    for (const url of ours)
      expect(url).toMatch(/\/(packages\/core|apps\/[a-z]+)\/(dist\/.*\.js|package\.json|bin\/pypi-watch\.js)$|\/record-loads\.mjs$/);
    expect(loads.filter((url) => TRANSPILER.test(url))).toEqual([]);
    expect(loads.filter((url) => url.includes('/pino-pretty/'))).toEqual([]);
  });
});
