// The build the bin runs, made from the sources under test: the steps of the root `pnpm build`
// (deployment-files.test.ts holds that script to BUILD_STEPS). An up-to-date build takes about two seconds.

import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './paths.js';

export const BUILD_STEPS = ['tsc -b tsconfig.build.json', 'node packages/core/scripts/bundle-vendor.mjs'] as const;

/** Runs BUILD_STEPS in order with this Node.js; `tsc` is the repository's TypeScript. */
export async function buildDist(): Promise<void> {
  const run = promisify(execFile);
  const tsc = createRequire(join(REPO_ROOT, 'package.json')).resolve('typescript/bin/tsc');
  for (const step of BUILD_STEPS) {
    const [command, ...args] = step.split(' ');
    await run(process.execPath, command === 'tsc' ? [tsc, ...args] : args, { cwd: REPO_ROOT });
  }
}
