// The argv of one `submit` call, checked so nothing from a feed can change what submit does.

import { checkProjectName } from '../release/project-name.js';
import { SubmitArgumentError } from '../errors.js';
import { rubySafeString } from './ruby-yaml.js';
import { forbiddenJobKeyReason } from './submit-targets.js';

export interface SubmitArgsInput {
  /** The rendered job file (see `renderJobYaml`). */
  readonly jobYamlPath: string;
  /** The PyPI project name; becomes `repo_addr=<name>`. */
  readonly name: string;
  /** Where to build, e.g. `{ os_arch: 'aarch64', testbox: 'vm-2p8g' }`; passed in insertion order. */
  readonly target: Readonly<Record<string, string>>;
  /** Further job keys from config, passed after the target keys in insertion order. */
  readonly params: Readonly<Record<string, string>>;
}

/** The same key rule submit's YAML load accepts without surprises; no spaces, no `=`, no leading `-`. */
const KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const MAX_KEY_LENGTH = 100;
const MAX_VALUE_LENGTH = 4096;
/** The key buildSubmitArgs sets from `name`; a target or param of that name would override the project. */
const RESERVED_KEY = 'repo_addr';

/**
 * `[jobYamlPath, 'repo_addr=<name>', ...target, ...params]`, each extra as `key=value`.
 * Throws `SubmitArgumentError` naming the offending key when anything is unsafe.
 */
export function buildSubmitArgs(input: SubmitArgsInput): string[] {
  const { jobYamlPath, name, target, params } = input;
  checkJobYamlPath(jobYamlPath);

  const checked = checkProjectName(name);
  if (!checked.ok) {
    throw new SubmitArgumentError(`project name ${quoteForMessage(name)} rejected: ${checked.reason}`);
  }

  // submit loads `k=v` as the YAML 1.1 text `k: v`: a project named `null`, `on`, `1e3` or `1_000`
  // would reach the farm as nil, true or a number, so such a name goes quoted (most go as they are).
  const args = [jobYamlPath, `${RESERVED_KEY}=${rubySafeString(name)}`];
  const seen = new Set<string>();
  for (const [where, record] of [
    ['target', target],
    ['params', params],
  ] as const) {
    for (const [key, value] of Object.entries(record)) {
      checkKey(where, key);
      if (seen.has(key)) {
        // submit would silently keep the last one; say which instead of guessing.
        throw new SubmitArgumentError(`${where} key ${key} is also given in target; give each job key once`);
      }
      seen.add(key);
      checkValue(where, key, value);
      args.push(`${key}=${argValue(value)}`);
    }
  }
  return args;
}

/** YAML 1.1's booleans and null, which a config value such as `check_rpm_install: yes` means as such. */
const YAML11_FLAG_WORDS = /^(?:y|n|yes|no|on|off|true|false|null|~)$/i;

/**
 * A config value as submit should read it. Flag words stay as written (the farm's job keys expect
 * Ruby's true, as the old script passed them); anything else YAML 1.1 would turn into a number, a
 * date or a symbol (`20.10` into 20.1, `0x1f` into 31) goes quoted, so it arrives as written.
 */
function argValue(value: string): string {
  return value === '' || YAML11_FLAG_WORDS.test(value) ? value : rubySafeString(value);
}

function checkJobYamlPath(path: string): void {
  if (typeof path !== 'string' || path.length === 0) {
    throw new SubmitArgumentError('jobYamlPath must be a non-empty path');
  }
  if (path.startsWith('-') || path.includes('=') || /[\0\r\n]/.test(path)) {
    // submit treats a leading "-" as an option and any "=" argument as key=value, not as a job file.
    throw new SubmitArgumentError(`jobYamlPath ${quoteForMessage(path)} must not start with "-" or contain "=", NUL or line breaks`);
  }
}

function checkKey(where: string, key: string): void {
  if (key.length > MAX_KEY_LENGTH || !KEY_PATTERN.test(key)) {
    throw new SubmitArgumentError(
      `${where} key ${quoteForMessage(key)} is not allowed: expected ${KEY_PATTERN.source}, at most ${MAX_KEY_LENGTH} characters`,
    );
  }
  if (key === RESERVED_KEY) {
    throw new SubmitArgumentError(`${where} key ${RESERVED_KEY} is reserved: it is set from the project name`);
  }
  const forbidden = forbiddenJobKeyReason(key);
  if (forbidden !== undefined) throw new SubmitArgumentError(`${where} key ${key} is not allowed: ${forbidden}`);
}

/**
 * submit loads each `k=v` as the YAML text `k: v` (Psych before 4 even builds Ruby objects
 * from tags), so besides the command-line rules, a value must stay a plain YAML scalar.
 */
function checkValue(where: string, key: string, value: string): void {
  if (typeof value !== 'string') {
    throw new SubmitArgumentError(`${where}.${key} must be a string`);
  }
  if (value.length > MAX_VALUE_LENGTH) {
    throw new SubmitArgumentError(`${where}.${key} is longer than ${MAX_VALUE_LENGTH} characters`);
  }
  if (/[\0\r\n]/.test(value)) {
    throw new SubmitArgumentError(`${where}.${key} must not contain NUL or line breaks`);
  }
  if (value.startsWith('-')) {
    throw new SubmitArgumentError(`${where}.${key} must not start with "-"`);
  }
  if (/^[!&*{}[\]|>%@`'"#,?]/.test(value) || value.includes(': ') || value.includes(' #')) {
    throw new SubmitArgumentError(
      `${where}.${key} ${quoteForMessage(value)} would not stay a plain YAML scalar when submit loads it (YAML indicator at the start, ` +
        `": " or " #")`,
    );
  }
}

const SAFE_WORD = /^[A-Za-z0-9_./:=@%+,-]+$/;

/**
 * The command as a human would type it in a POSIX shell, for logs only: it is never executed.
 * Control characters come out as `$'\n'`-style escapes so one command stays one log line.
 */
export function formatCommandForLog(command: string, args: readonly string[]): string {
  return [command, ...args].map(quoteWord).join(' ');
}

function quoteWord(word: string): string {
  if (word.length > 0 && SAFE_WORD.test(word)) return word;
  if (/[\x00-\x1f\x7f]/.test(word)) {
    const escaped = [...word]
      .map((char) => {
        const code = char.codePointAt(0) ?? 0;
        if (char === '\\') return '\\\\';
        if (char === "'") return "\\'";
        if (char === '\n') return '\\n';
        if (char === '\r') return '\\r';
        if (char === '\t') return '\\t';
        if (code < 0x20 || code === 0x7f) return `\\x${code.toString(16).padStart(2, '0')}`;
        return char;
      })
      .join('');
    return `$'${escaped}'`;
  }
  return `'${word.replaceAll("'", "'\\''")}'`;
}

/** Bounded, escaped rendering of untrusted text inside an error message. */
function quoteForMessage(value: string): string {
  const shown = value.length > 80 ? `${value.slice(0, 80)}…` : value;
  return JSON.stringify(shown);
}
