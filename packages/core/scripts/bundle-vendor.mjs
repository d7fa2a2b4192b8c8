#!/usr/bin/env node
// `pnpm build`, after `tsc -b`: zod and yaml, each pre-bundled into one file under packages/core/dist/vendor/,
// which is what the built code imports (`#zod`, `#yaml` in package.json `imports`; the sources and tests
// get the packages themselves, and test/vendor-bundles.test.ts holds the two to each other).
//
// Why: as installed they are ~170 files (zod 95 ES modules, among them 50 locales we never load a word
// of; yaml 72 CommonJS files), and Node 20 has no compile cache, so every `pypi-watch` process read,
// resolved and compiled each of them at start: ~100 ms of a `status --json` that must answer in 400.
// One minified file each loads in a fraction of that. Same versions (the installed ones), same code:
// yaml's Node build (the one `import 'yaml'` runs, with process.emitWarning and Buffer), not its browser one.
//
// A file is replaced only when its bytes change, by rename: a build while workers start (or tests in
// parallel) never lets a process import a half-written bundle.

import { build } from 'esbuild';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const core = fileURLToPath(new URL('..', import.meta.url));
const fromCore = createRequire(join(core, 'package.json'));
const version = (name) => fromCore(`${name}/package.json`).version;

// yaml is CommonJS: the entry re-exports each of its names, as Node's `import` of it offers them.
const yamlNames = Object.keys(fromCore('yaml')).filter((name) => name !== 'default');
const entries = {
  zod: `export * from 'zod';\nexport { default } from 'zod';`,
  yaml: `import yaml from 'yaml';\nexport const { ${yamlNames.join(', ')} } = yaml;\nexport default yaml;`,
};

for (const [name, contents] of Object.entries(entries)) {
  const result = await build({
    stdin: { contents, resolveDir: core, sourcefile: `${name}-entry.js` },
    outfile: join(core, 'dist/vendor', `${name}.js`),
    write: false,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minify: true,
    // Error classes keep their names (ZodError, YAMLParseError): logs show them.
    keepNames: true,
    legalComments: 'eof',
    // A CommonJS `require('process')` inside an ES module bundle needs a require to call.
    banner: {
      js: `// ${name} ${version(name)}, bundled by packages/core/scripts/bundle-vendor.mjs\nimport { createRequire as __vendorRequire } from 'node:module';\nconst require = __vendorRequire(import.meta.url);`,
    },
    logLevel: 'warning',
  });
  for (const file of result.outputFiles) replaceIfChanged(file.path, file.contents);
}

function replaceIfChanged(path, contents) {
  let current;
  try {
    current = readFileSync(path);
  } catch {
    current = undefined;
  }
  if (current !== undefined && Buffer.compare(current, contents) === 0) return;
  mkdirSync(dirname(path), { recursive: true });
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  writeFileSync(temporary, contents);
  renameSync(temporary, path);
}
