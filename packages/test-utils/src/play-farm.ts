// The test plays the build farm: for every `result_root` a batch's submits listed, it lays out the
// result folder (output, build.log, …) the farm would write, under a temp dir that results.pathMap
// maps `/srv` to.

import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '@pypi-watch/core';
import type { Defer } from './cleanups-after-each.js';
import { waitFor } from './wait-for.js';

/** A temp dir standing for the farm's /srv; removed after the test through `defer`. */
export async function createFarmDir(defer: Defer): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pypi-watch-farm-'));
  defer(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Waits until the batch has listed `expected` result roots, laying out each as it appears with the
 * files `scenario` gives for its project (the folder name before the last), in the order given.
 */
export async function playFarm(
  runtime: { readonly config: Config },
  batchId: string,
  srv: string,
  expected: number,
  scenario: (name: string) => Record<string, string>,
): Promise<void> {
  const done = new Set<string>();
  await waitFor(
    async () => {
      const list = await readFile(join(runtime.config.paths.logDir, batchId, 'result_root_list'), 'utf8').catch(() => '');
      for (const root of list.split('\n').filter(Boolean)) {
        if (done.has(root)) continue;
        done.add(root);
        const local = join(srv, root.slice('/srv'.length));
        await mkdir(local, { recursive: true });
        for (const [file, text] of Object.entries(scenario(root.split('/').at(-2) ?? ''))) await writeFile(join(local, file), text);
      }
      return done.size >= expected;
    },
    { what: `${expected} result roots`, timeoutMs: 20_000 },
  );
}
