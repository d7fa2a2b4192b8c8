// The module names a failed build's log says were missing (`ModuleNotFoundError: No module named 'X'`).
// The log is hostile farm output: only valid Python dotted identifiers are taken, and only a few.

/** What the log prints before the name, in every Python version (`ImportError: No module named X` in Python 2). */
export const MISSING_MODULE_NEEDLE = 'No module named ';

/** Bytes after the needle that can hold a name (a longer "name" is not one). */
export const MISSING_MODULE_CAPTURE_BYTES = 160;

/** At most this many distinct modules are taken from one build. @defaultValue 3 */
export const MAX_MISSING_MODULES = 3;

const IDENTIFIER = '[A-Za-z_][A-Za-z0-9_]*';
const MODULE_NAME = new RegExp(`^(${IDENTIFIER}(?:\\.${IDENTIFIER})*)$`);
const MAX_NAME_LENGTH = 120;

/**
 * The module in what followed one `No module named `: `'yaml'`, `"yaml"`, `yaml` or `yaml;
 * 'yaml' is not a package`. Undefined for anything that is not a dotted Python identifier.
 */
export function moduleNameIn(afterNeedle: string): string | undefined {
  const text = afterNeedle.trimStart();
  const quote = text[0] === "'" || text[0] === '"' ? text[0] : undefined;
  let name: string;
  if (quote) {
    const end = text.indexOf(quote, 1);
    if (end < 0) return undefined;
    name = text.slice(1, end);
  } else {
    name = (/^[^\s;,:)'"]+/.exec(text)?.[0] ?? '').replace(/\.+$/, '');
  }
  if (name.length === 0 || name.length > MAX_NAME_LENGTH || !MODULE_NAME.test(name)) return undefined;
  return name;
}

/** The distinct valid module names, in log order, at most `max`. */
export function missingModulesIn(captures: readonly string[], max = MAX_MISSING_MODULES): string[] {
  const found: string[] = [];
  for (const capture of captures) {
    const name = moduleNameIn(capture);
    if (name !== undefined && !found.includes(name)) found.push(name);
    if (found.length >= max) break;
  }
  return found;
}

/** Every text following the needle in `log` (for callers that hold the text itself). */
export function capturesIn(log: string, needle = MISSING_MODULE_NEEDLE, captureLength = MISSING_MODULE_CAPTURE_BYTES): string[] {
  const captures: string[] = [];
  for (let at = log.indexOf(needle); at >= 0; at = log.indexOf(needle, at + needle.length)) {
    captures.push(log.slice(at + needle.length, at + needle.length + captureLength));
  }
  return captures;
}
