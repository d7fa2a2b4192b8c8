// Which releases are worth a build: prerelease policy, deny/allow patterns and an allow-list file.

import { readFile } from 'node:fs/promises';
import { ConfigError, InvalidInputError } from '../errors.js';
import { checkProjectName } from './project-name.js';

export interface ReleaseFilterOptions {
  /** Let pre-releases and dev releases through. */
  readonly prereleases: boolean;
  /** Regular-expression sources matched against the normalized name; a match drops the release. */
  readonly deny: readonly string[];
  /** Regular-expression sources; when any are given, the normalized name must match one. Empty allows all. */
  readonly allow: readonly string[];
  /** Normalized names from `filters.allowFile` (see loadAllowFile); when given, the name must be listed. */
  readonly allowNames?: ReadonlySet<string>;
}

/** What a filter needs to know about a release whose name and version were already validated. */
export interface FilterSubject {
  readonly normalized: string;
  readonly isPrerelease: boolean;
}

/** `rule` names what dropped the release: `prerelease`, `deny:<pattern>`, `allow` or `allowFile`. */
export type FilterVerdict = { readonly ok: true } | { readonly ok: false; readonly rule: string };

interface CompiledPattern {
  readonly source: string;
  readonly regex: RegExp;
}

const MAX_LISTED_LINES = 10;

/** Every configured restriction applies: a release must pass each of them, checked in the order above. */
export class ReleaseFilter {
  readonly #prereleases: boolean;
  readonly #deny: readonly CompiledPattern[];
  readonly #allow: readonly CompiledPattern[];
  readonly #allowNames: ReadonlySet<string> | undefined;

  constructor(options: ReleaseFilterOptions) {
    this.#prereleases = options.prereleases;
    this.#deny = compilePatterns('deny', options.deny);
    this.#allow = compilePatterns('allow', options.allow);
    this.#allowNames = options.allowNames;
  }

  check(subject: FilterSubject): FilterVerdict {
    if (subject.isPrerelease && !this.#prereleases) return { ok: false, rule: 'prerelease' };
    const denied = this.#deny.find((pattern) => pattern.regex.test(subject.normalized));
    if (denied) return { ok: false, rule: `deny:${denied.source}` };
    if (this.#allow.length > 0 && !this.#allow.some((pattern) => pattern.regex.test(subject.normalized))) {
      return { ok: false, rule: 'allow' };
    }
    if (this.#allowNames && !this.#allowNames.has(subject.normalized)) return { ok: false, rule: 'allowFile' };
    return { ok: true };
  }
}

function compilePatterns(list: 'deny' | 'allow', sources: readonly string[]): CompiledPattern[] {
  return sources.map((source, index) => {
    try {
      return { source, regex: new RegExp(source) };
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new ConfigError(`filters.${list}[${index}]: \`${source}\` is not a valid regular expression (${detail})`, {
        cause: error,
      });
    }
  });
}

/**
 * Reads an allow-list: one project name a line (the first word; the rest of the line and
 * `#` comments are ignored). Returns normalized names; any invalid name fails the whole file,
 * since a typo would otherwise silently stop that project's builds.
 */
export async function loadAllowFile(path: string): Promise<Set<string>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`filters.allowFile: cannot read ${path} (${detail})`, { cause: error });
  }
  const names = new Set<string>();
  const problems: string[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, index) => {
    const word = line.replace(/#.*/, '').trim().split(/\s+/)[0] ?? '';
    if (word === '') return;
    const checked = checkProjectName(word);
    if (checked.ok) names.add(checked.normalized);
    else problems.push(`line ${index + 1}: ${JSON.stringify(word.slice(0, 80))} (${checked.reason})`);
  });
  if (problems.length > 0) {
    const listed = problems.slice(0, MAX_LISTED_LINES).join('; ');
    const more = problems.length > MAX_LISTED_LINES ? `; and ${problems.length - MAX_LISTED_LINES} more` : '';
    throw new InvalidInputError(`${path}: ${problems.length} invalid project name(s): ${listed}${more}`);
  }
  return names;
}
