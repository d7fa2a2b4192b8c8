// Package requests from the command line and from list files (`enqueue NAME[==VERSION]... -l FILE`).

import { checkProjectName } from './project-name.js';
import { checkVersion } from './version.js';

export interface PackageRequest {
  readonly name: string;
  readonly normalized: string;
  readonly version?: string;
  /** Where it came from, e.g. `list.txt:12` or `argument 2`, for messages. */
  readonly origin: string;
}

export interface RejectedRequest {
  readonly origin: string;
  /** The raw text, cut to 120 characters and with control characters escaped, safe to print. */
  readonly raw: string;
  readonly reason: string;
}

export interface ParsedRequests {
  readonly requests: PackageRequest[];
  readonly rejected: RejectedRequest[];
}

const MAX_LINE_LENGTH = 4096;

export type ReleaseSpec =
  { readonly ok: true; readonly rawName: string; readonly rawVersion?: string } | { readonly ok: false; readonly reason: string };

/**
 * The one reading of `NAME` or `NAME==VERSION` (enqueue, `why`, the dashboard's why page): split at
 * the first `==`, neither side empty. `foo==` is refused, not read as `foo`. The parts come back
 * raw: `parsePackageSpec` checks them; `why` looks up even an invalid name's story.
 */
export function splitReleaseSpec(spec: string): ReleaseSpec {
  const separator = spec.indexOf('==');
  const rawName = separator === -1 ? spec : spec.slice(0, separator);
  if (rawName === '') return { ok: false, reason: 'empty project name' };
  if (separator === -1) return { ok: true, rawName };
  const rawVersion = spec.slice(separator + 2);
  if (rawVersion === '') return { ok: false, reason: 'empty version' };
  return { ok: true, rawName, rawVersion };
}

/** One `NAME` or `NAME==VERSION` token. */
export function parsePackageSpec(spec: string, origin: string): PackageRequest | RejectedRequest {
  const split = splitReleaseSpec(spec);
  if (!split.ok) return { origin, raw: printable(spec), reason: split.reason };
  const { rawName, rawVersion } = split;
  const name = checkProjectName(rawName);
  if (!name.ok) return { origin, raw: printable(spec), reason: name.reason };
  if (rawVersion === undefined) return { name: name.name, normalized: name.normalized, origin };
  const version = checkVersion(rawVersion);
  if (!version.ok) return { origin, raw: printable(spec), reason: version.reason };
  return { name: name.name, normalized: name.normalized, version: version.version, origin };
}

/** The old list-file format: one package a line, the first word is the name; `#` comments and blank lines skipped. */
export function parsePackageList(text: string, source: string): ParsedRequests {
  const result: ParsedRequests = { requests: [], rejected: [] };
  const lines = text.split(/\r?\n/);
  lines.forEach((line, index) => {
    const origin = `${source}:${index + 1}`;
    if (line.length > MAX_LINE_LENGTH) {
      result.rejected.push({ origin, raw: printable(line), reason: `line longer than ${MAX_LINE_LENGTH} characters` });
      return;
    }
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const firstWord = trimmed.split(/\s+/, 1)[0] ?? '';
    push(result, parsePackageSpec(firstWord, origin));
  });
  return result;
}

export function parsePackageArgs(specs: readonly string[]): ParsedRequests {
  const result: ParsedRequests = { requests: [], rejected: [] };
  specs.forEach((spec, index) => push(result, parsePackageSpec(spec, `argument ${index + 1}`)));
  return result;
}

function push(result: ParsedRequests, item: PackageRequest | RejectedRequest): void {
  if ('reason' in item) result.rejected.push(item);
  else result.requests.push(item);
}

/**
 * Bounded, with control, bidi-override and zero-width characters made visible: hostile input must
 * not garble a terminal or a log, nor pass for another name (`num\u200Bpy` shown as `numpy`).
 */
export function printable(raw: string): string {
  const cut = raw.length > 120 ? `${raw.slice(0, 117)}...` : raw;

  return cut.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
