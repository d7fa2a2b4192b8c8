#!/usr/bin/env node
// `pnpm build`, after `tsc -b`: zod and yaml, each pre-bundled into one file under packages/core/dist/vendor/,
// which is what the built code imports (`#zod`, `#yaml` in package.json `imports`; the sources and tests
// get the packages themselves).
//
// Why: as installed they are ~170 files (zod 95 ES modules, among them 50 locales we never load a word
// of; yaml 72 CommonJS files), and Node 20 has no compile cache, so every `pypi-watch` process read,
// resolved and compiled each of them at start: ~150 ms of a `status --json` that must answer in 400.
// One minified file each loads in a third of that. Same versions (the installed ones), same code.

import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const core = fileURLToPath(new URL('..', import.meta.url));

await build({
  absWorkingDir: core,
  // yaml's ES module build is the one its `default` export condition names (the `node` one is CommonJS).
  entryPoints: { zod: 'zod', yaml: 'yaml' },
  outdir: 'dist/vendor',
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  mainFields: ['module', 'main'],
  target: 'node20',
  minify: true,
  // Error classes keep their names: messages and `instanceof` do not depend on them, logs do.
  keepNames: true,
  legalComments: 'eof',
  logLevel: 'warning',
});
