// Maps a farm `result_root` (as `submit` printed it) to where this host sees it.

import { isAbsolute, normalize } from 'node:path';

/** A result folder on this host, and the mapped local root it must stay inside. */
export interface LocalResultPath {
  /** The `results.pathMap` value that mapped it: nothing outside it is ever read. */
  readonly root: string;
  readonly path: string;
}

/**
 * `results.pathMap` entries are farm prefix → local mount, longest prefix first. The farm path
 * comes from `submit`'s output: outside input, so only absolute paths without `..` are accepted.
 * Returns undefined when the path is unacceptable or no prefix maps it. An empty map maps nothing:
 * without a root to stay inside, a printed path could name any file on this host.
 */
export function resolveResultPath(farmPath: string, pathMap: Readonly<Record<string, string>>): LocalResultPath | undefined {
  if (!isAbsolute(farmPath) || farmPath.includes('\0') || farmPath.split('/').includes('..')) return undefined;
  const clean = normalize(farmPath);
  const prefixes = Object.keys(pathMap).sort((a, b) => b.length - a.length);
  for (const prefix of prefixes) {
    const base = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
    const root = pathMap[prefix];
    if (root === undefined || !isAbsolute(root) || root.includes('\0')) continue;
    if (clean === base || clean.startsWith(`${base}/`))
      return { root: normalize(root), path: normalize(`${root}/${clean.slice(base.length)}`) };
  }
  return undefined;
}

/** Just the local path of `resolveResultPath`. */
export function localResultPath(farmPath: string, pathMap: Readonly<Record<string, string>>): string | undefined {
  return resolveResultPath(farmPath, pathMap)?.path;
}
