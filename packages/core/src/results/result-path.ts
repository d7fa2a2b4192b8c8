// Maps a farm `result_root` (as `submit` printed it) to where this host sees it.

import { isAbsolute, normalize } from 'node:path';

/**
 * `results.pathMap` entries are farm prefix → local mount, longest prefix first. The farm path
 * comes from `submit`'s output: outside input, so only absolute paths without `..` are accepted.
 * Returns undefined when the path is unacceptable or no prefix maps it (with a non-empty map).
 */
export function localResultPath(farmPath: string, pathMap: Readonly<Record<string, string>>): string | undefined {
  if (!isAbsolute(farmPath) || farmPath.includes('\0') || farmPath.split('/').includes('..')) return undefined;
  const clean = normalize(farmPath);
  const prefixes = Object.keys(pathMap).sort((a, b) => b.length - a.length);
  if (prefixes.length === 0) return clean;
  for (const prefix of prefixes) {
    const base = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
    if (clean === base || clean.startsWith(`${base}/`)) return `${pathMap[prefix]}${clean.slice(base.length)}`;
  }
  return undefined;
}
