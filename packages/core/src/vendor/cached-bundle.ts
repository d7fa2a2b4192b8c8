// Loads a pre-bundled package (dist/vendor/<name>.cjs, scripts/bundle-vendor.mjs) with V8's code
// cache: Node 20 has no compile cache of its own (module.enableCompileCache is Node 22), so every
// process parsed and compiled zod, yaml, ioredis and pino from scratch, ~half of their load time.
// The build runs each bundle once and keeps V8's compiled code beside it (`<name>.cjs.cache`); a
// process that finds a cache made from the same bytes by the same V8 with the same flags skips the
// compile. Any other cache (stale, corrupt, another Node) is ignored, and the bundle compiles as it
// would without one: the cache only ever changes how fast a bundle loads, never what it runs.
//
// Why not a library: v8-compile-cache hooks every require() and writes its cache at run time into a
// temporary directory; these four files are known at build time, and a container's file system need
// not be writable.
//
// The cache file is two SHA-256 digests, then V8's data. The first is of what was compiled (the
// wrapped source) and by which Node: V8 itself checks only the source's length and its own version,
// so a rebuilt bundle of the same length would otherwise run the old bundle's code. The second is of
// V8's data: a release V8 does not check it, and a damaged cache can crash the process or run
// damaged bytecode.

import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { Script, constants } from 'node:vm';

const DIGEST_BYTES = 32;
const HEADER_BYTES = 2 * DIGEST_BYTES;

interface LoadedBundle {
  /** The bundle's `module.exports`. */
  readonly exports: Record<string, unknown>;
  /** Whether V8 took the cache. */
  readonly fromCache: boolean;
  readonly script: Script;
  readonly digest: Buffer;
}

/** This process' bundles, by file: what `writeBundleCaches` keeps. */
const loaded = new Map<string, LoadedBundle>();

/** Runs the CommonJS bundle at `file` (a path) as `require` would, compiled from its cache when that fits. */
export function loadCachedBundle(file: string): Record<string, unknown> {
  const known = loaded.get(file);
  if (known !== undefined) return known.exports;
  // Node's own wrapper, so `exports`, `require`, `module`, `__filename` and `__dirname` are what require() gives.
  const source = `(function (exports, require, module, __filename, __dirname) {${readFileSync(file, 'utf8')}\n})`;
  const digest = sha256(`${process.version}\0${process.arch}\0${source}`);
  const cachedData = matchingCache(`${file}.cache`, digest);
  const script = new Script(source, {
    filename: file,
    ...(cachedData === undefined ? {} : { cachedData }),
    importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  const module = { exports: {} as Record<string, unknown> };
  wrapper.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  loaded.set(file, { exports: module.exports, fromCache: cachedData !== undefined && !script.cachedDataRejected, script, digest });
  return module.exports;
}

/** Whether the bundle at `file` was loaded, and compiled from its cache. */
export function loadedFromCache(file: string): boolean | undefined {
  return loaded.get(file)?.fromCache;
}

/** The V8 data of `cacheFile` when it was made from the bundle with `digest`; undefined otherwise. */
function matchingCache(cacheFile: string, digest: Buffer): Buffer | undefined {
  let cache: Buffer;
  try {
    cache = readFileSync(cacheFile);
  } catch {
    return undefined;
  }
  if (cache.length <= HEADER_BYTES || !cache.subarray(0, DIGEST_BYTES).equals(digest)) return undefined;
  const data = cache.subarray(HEADER_BYTES);
  return sha256(data).equals(cache.subarray(DIGEST_BYTES, HEADER_BYTES)) ? data : undefined;
}

function sha256(data: string | Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

/**
 * For the build (scripts/warm-vendor-cache.mjs): writes the cache of each bundle this process loaded
 * and V8 did not take a cache for, with the code it compiled so far (so call it after the work a
 * command does at start). By rename: a process starting meanwhile reads the old file or the new one,
 * never half of one. Returns the files written.
 */
export function writeBundleCaches(): string[] {
  const written: string[] = [];
  for (const [file, bundle] of loaded) {
    if (bundle.fromCache) continue;
    const cacheFile = `${file}.cache`;
    const temporary = join(dirname(cacheFile), `.${basename(cacheFile)}.${process.pid}.tmp`);
    const data = bundle.script.createCachedData();
    writeFileSync(temporary, Buffer.concat([bundle.digest, sha256(data), data]));
    renameSync(temporary, cacheFile);
    written.push(cacheFile);
  }
  return written;
}
