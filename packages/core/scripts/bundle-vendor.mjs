#!/usr/bin/env node
// `pnpm build`, after `tsc -b`: zod, yaml, ioredis and pino, each pre-bundled into one file under
// packages/core/dist/vendor/, which is what the built code imports (`#zod`, `#yaml`, `#ioredis`, `#pino`
// in package.json `imports`; the sources and tests get the packages themselves, and
// test/vendor-bundles.test.ts holds each bundle to its package).
//
// Why: as installed they are ~260 files (zod 95 ES modules, among them 50 locales we never load a word
// of; yaml 72 CommonJS files; ioredis and its helpers 53; pino and its 18), and Node 20 has no compile
// cache, so every `pypi-watch` process read, resolved and compiled each of them at start: ~150 ms of
// a `status --json` that must answer in 400. One minified file each loads in a fraction of that, and
// V8's code cache of each (scripts/warm-vendor-cache.mjs, src/vendor/cached-bundle.ts) saves most
// of the compile that is left.
// Same versions (the installed ones), same code, with three deliberate cuts:
// - zod's `locales` holds English only (the one it sets by default; pypi-watch never calls
//   `z.config(z.locales.…())`): the other 49 were half the bundle.
// - pino's transports (`pino.transport`, `transport:` options) throw: they run files by path in a
//   worker thread, which a bundle cannot. pypi-watch writes its lines itself (logging/logger.ts).
// - ioredis's version (CLIENT SETINFO) is written in: it read it from a path relative to its file.
// BullMQ is left out: it loads ioredis only to build a connection from options, and pypi-watch always
// hands it ioredis instances (the bundle's), so a process holds one ioredis.
//
// A file is replaced only when its bytes change, by rename: a build while workers start (or tests in
// parallel) never lets a process import a half-written bundle.

import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const core = fileURLToPath(new URL('..', import.meta.url));
const fromCore = createRequire(join(core, 'package.json'));
const version = (name) => fromCore(`${name}/package.json`).version;

/** zod's locales module, English only. */
const englishOnly = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      args.importer.includes('/zod/') ? { path: join(args.resolveDir, args.path), namespace: 'zod-locales' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from './en.js';`,
      resolveDir: dirname(args.path),
    }));
  },
};

/** Fails the build when `pattern` is not in a file a plugin rewrites: a new version must be looked at again. */
function rewrite(text, pattern, replacement, what) {
  if (!text.includes(pattern)) throw new Error(`bundle-vendor: ${what}: \`${pattern}\` not found; check the plugin against this version`);
  return text.replace(pattern, replacement);
}

/**
 * ioredis reads its version (for CLIENT SETINFO LIB-VER) from `__dirname/../../package.json`, which
 * from the bundle is packages/core's: the installed version is written in instead.
 */
const ioredisVersion = {
  name: 'ioredis-version',
  setup(build) {
    build.onLoad({ filter: /\/ioredis\/built\/utils\/index\.js$/ }, (args) => ({
      contents: rewrite(
        readFileSync(args.path, 'utf8'),
        'let cachedPackageMeta = null;',
        `let cachedPackageMeta = { version: ${JSON.stringify(version('ioredis'))} };`,
        'ioredis version',
      ),
      loader: 'js',
    }));
  },
};

/**
 * pino's transports run files by path in a worker thread (thread-stream), which a bundle cannot: the
 * thread would hang the process. `pino.transport()` and a `transport:` option fail instead, at once.
 */
const noPinoTransports = {
  name: 'no-pino-transports',
  setup(build) {
    build.onResolve({ filter: /^\.\/(lib\/)?transport$/ }, (args) =>
      args.importer.includes('/pino/') ? { path: args.path, namespace: 'no-pino-transports' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'no-pino-transports' }, () => ({
      contents: `module.exports = function transport() {\n  throw new Error("pino transports are not available in pypi-watch's vendored pino (packages/core/scripts/bundle-vendor.mjs)");\n};`,
      loader: 'js',
    }));
  },
};

// `esm`: an ES module package, whose default export is its own; a CommonJS one's default is its module.exports.
const packages = {
  zod: { esm: true, plugins: [englishOnly] },
  yaml: {},
  ioredis: { plugins: [ioredisVersion] },
  pino: { plugins: [noPinoTransports] },
};

const vendor = join(core, 'dist/vendor');
for (const [name, { esm = false, plugins = [] }] of Object.entries(packages)) {
  // The names `import … from '<name>'` offers: Node's import of the package, from here (packages/core).
  // Not `__esModule`, the interop marker Node finds in ioredis's source (its value is undefined there).
  const names = Object.keys(await import(name)).filter((key) => key !== 'default' && key !== '__esModule');
  const stamp = `// ${name} ${version(name)}, bundled by packages/core/scripts/bundle-vendor.mjs`;
  const result = await build({
    // An ES module package is bundled from its ES module build (`import` condition), as `import` loads it.
    stdin: {
      contents: esm ? `export * from '${name}';\nexport { default } from '${name}';` : `module.exports = require('${name}');`,
      resolveDir: core,
      sourcefile: `${name}-entry.js`,
    },
    outfile: join(vendor, `${name}.cjs`),
    write: false,
    bundle: true,
    // CommonJS, so it can be compiled through node:vm with a code cache (src/vendor/cached-bundle.ts).
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    minify: true,
    // Classes keep their names (ZodError, YAMLParseError, ReplyError): logs and errors show them.
    keepNames: true,
    legalComments: 'eof',
    plugins,
    banner: { js: stamp },
    logLevel: 'warning',
  });
  for (const file of result.outputFiles) replaceIfChanged(file.path, file.contents);
  // What the built code imports: the bundle's exports under the package's names.
  const shim = [
    stamp,
    `import { fileURLToPath } from 'node:url';`,
    `import { loadCachedBundle } from './cached-bundle.js';`,
    `const bundle = loadCachedBundle(fileURLToPath(new URL('./${name}.cjs', import.meta.url)));`,
    // A shim and a bundle of two builds (a process starting while a build replaces them) fail here,
    // not later on a name that is undefined.
    `for (const name of ${JSON.stringify(names)}) if (!(name in bundle)) throw new Error(\`packages/core/dist/vendor/${name}.cjs has no \${name}: run pnpm build\`);`,
    // Aliased: some names are reserved words (zod's `null`), which an export may be and a binding not.
    `const { ${names.map((key, index) => `${JSON.stringify(key)}: v${index}`).join(', ')} } = bundle;`,
    `export { ${names.map((key, index) => `v${index} as ${exportName(key)}`).join(', ')} };`,
    `export default ${esm ? 'bundle.default' : 'bundle'};`,
    '',
  ].join('\n');
  replaceIfChanged(join(vendor, `${name}.js`), Buffer.from(shim));
}

// V8's compiled code of each bundle, kept beside it (src/vendor/cached-bundle.ts).
// Without NODE_OPTIONS: V8 takes a cache only under the flags that made it, and commands run without.
execFileSync(process.execPath, [join(core, 'scripts/warm-vendor-cache.mjs')], {
  stdio: 'inherit',
  env: { ...process.env, NODE_OPTIONS: '' },
});

/** An export's name as the shim writes it: as is, or quoted (ES2022) when it is no identifier name. */
function exportName(key) {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key);
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
