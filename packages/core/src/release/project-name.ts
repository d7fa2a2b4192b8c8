// PyPI project names: the validity rule and the normalized form (PEP 503 / packaging.utils).

const VALID_NAME = /^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$/i;
const SEPARATOR_RUNS = /[-_.]+/g;

/** Longest name we accept; PyPI has none longer than ~100, and it bounds what reaches logs and Redis. */
export const MAX_PROJECT_NAME_LENGTH = 200;

export type ProjectNameCheck =
  { readonly ok: true; readonly name: string; readonly normalized: string } | { readonly ok: false; readonly reason: string };

export function normalizeProjectName(name: string): string {
  return name.replace(SEPARATOR_RUNS, '-').toLowerCase();
}

/** Checks a raw name from outside (feed, list file, CLI) against PyPI's project-name rule. */
export function checkProjectName(raw: string): ProjectNameCheck {
  if (raw.length === 0) return { ok: false, reason: 'empty project name' };
  if (raw.length > MAX_PROJECT_NAME_LENGTH) {
    return { ok: false, reason: `project name longer than ${MAX_PROJECT_NAME_LENGTH} characters` };
  }
  if (!VALID_NAME.test(raw)) {
    return {
      ok: false,
      reason: 'not a valid PyPI project name (letters, digits, ".", "_", "-"; starting and ending with a letter or digit)',
    };
  }
  return { ok: true, name: raw, normalized: normalizeProjectName(raw) };
}
