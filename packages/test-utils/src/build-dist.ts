// The build the bin runs, made from the sources under test: the two steps of the root `pnpm build`
// (deployment-files.test.ts holds that script to them). An up-to-date build takes about a second.

import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './paths.js';

export const BUILD_STEPS = ['tsc -b tsconfig.build.json', 'node packages/core/scripts/bundle-vendor.mjs'] as const;

export async function buildDist(): Promise<void> {
  const run = promisify(execFile);
  const tsc = createRequire(join(REPO_ROOT, 'package.json')).resolve('typescript/bin/tsc');
  await run(process.execPath, [tsc, '-b', 'tsconfig.build.json'], { cwd: REPO_ROOT });
  await run(process.execPath, ['packages/core/scripts/bundle-vendor.mjs'], { cwd: REPO_ROOT });
}
