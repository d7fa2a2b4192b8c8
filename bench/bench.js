#!/usr/bin/env node
// Runs bench/run.ts from the repository root without a build step: tsx comes from packages/core
// (the root has no runtime dependencies), and bare imports from bench/ resolve as packages/core's do.

import { createRequire, register as registerHooks } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const fromCore = createRequire(new URL('../packages/core/package.json', import.meta.url));
// require.resolve answers with the CommonJS build; its ESM twin sits beside it.
const tsxApi = fromCore.resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs');
const { register } = await import(pathToFileURL(tsxApi).href);
// The root tsconfig, whatever the working directory: bench/tsconfig.json's `paths` are for tsc only.
register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
registerHooks('./support/resolve-from-core.mjs', import.meta.url);
await import('./run.ts');
