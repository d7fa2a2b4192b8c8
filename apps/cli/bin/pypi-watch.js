#!/usr/bin/env node
// The `pypi-watch` command: runs the compiled JavaScript in dist/ (built by `tsc -b` on `pnpm install`,
// or `pnpm build`), so no process transpiles TypeScript at start-up.
import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(`pypi-watch: ${main.pathname} is missing: run \`pnpm build\` (or \`pnpm install\`) in the repository first\n`);
  process.exit(1);
}
await import(main.href);
