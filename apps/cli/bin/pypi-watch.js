#!/usr/bin/env node
// The `pypi-watch` command: runs the compiled JavaScript in dist/ (built by `pnpm build`, which
// `pnpm install` runs: `tsc -b`, then zod, yaml, ioredis and pino pre-bundled into
// packages/core/dist/vendor/), so no process transpiles TypeScript at start-up.
import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);
const vendored = ['zod', 'yaml', 'ioredis', 'pino'].flatMap((name) => [`${name}.js`, `${name}.cjs`]);
const built = [main, ...vendored.map((file) => new URL(`../../../packages/core/dist/vendor/${file}`, import.meta.url))];
const missing = built.find((file) => !existsSync(file));
if (missing) {
  process.stderr.write(`pypi-watch: ${missing.pathname} is missing: run \`pnpm build\` (or \`pnpm install\`) in the repository first\n`);
  process.exit(1);
}
await import(main.href);
