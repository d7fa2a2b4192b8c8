// Release versions from outside (feed, list file, CLI): valid PEP 440, bounded, and whether it is a prerelease.

import { explain } from '@renovatebot/pep440';

/** Longest version we accept: real ones are far shorter, and it bounds what reaches job ids, logs and Redis. */
export const MAX_VERSION_LENGTH = 100;

export type VersionCheck =
  { readonly ok: true; readonly version: string; readonly isPrerelease: boolean } | { readonly ok: false; readonly reason: string };

/** Checks a raw version; `version` comes back exactly as given, since PyPI's URLs and the build use that spelling. */
export function checkVersion(raw: string): VersionCheck {
  if (raw.length === 0) return { ok: false, reason: 'empty version' };
  if (raw.length > MAX_VERSION_LENGTH) return { ok: false, reason: `version longer than ${MAX_VERSION_LENGTH} characters` };
  // pep440 tolerates surrounding whitespace; a version that is not one word would split a `NAME VERSION` line.
  if (raw.trim() !== raw) return { ok: false, reason: 'version has leading or trailing whitespace' };
  const parsed = explain(raw);
  if (parsed === null) return { ok: false, reason: 'not a valid PEP 440 version' };
  // PEP 440: both pre-releases (a/b/rc) and dev releases (including 1.0.post1.dev2) are pre-releases.
  return { ok: true, version: raw, isPrerelease: parsed.is_prerelease || parsed.is_devrelease };
}
