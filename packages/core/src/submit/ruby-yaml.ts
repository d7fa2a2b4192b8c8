// Writes YAML that lkp-tests' Ruby reads back exactly as we meant it (Psych, YAML 1.1, after its text passes).

import { isNode, isScalar, Schema, visit, type Document } from '#yaml';

/**
 * A string written plain. Psych follows YAML 1.1, where far more plain scalars are not strings
 * than in the YAML 1.2 we parse with: `yes`/`on`/`off` are booleans, `1:20` is 4800, `0b11` is 3,
 * `1_000` is 1000, `2026-01-01` is a Date, `~` is nil, `:x` is a Symbol. Only a word that starts
 * with a letter or `_` and holds nothing but letters, digits and `_ . / -` is a string in both;
 * everything else is double-quoted.
 */
const PLAIN_SAFE = /^[A-Za-z_][A-Za-z0-9_./-]*$/;
/** Words YAML 1.1 (and Psych, case-insensitively) reads as booleans or null. */
const YAML11_WORDS = /^(?:y|n|yes|no|on|off|true|false|null)$/i;

/**
 * Inside double quotes, what is written as itself; the rest becomes an escape. `<`, `%`, `{`, `}`
 * and `#` are escaped on purpose: before parsing, lkp-tests' `Job#load` rewrites the raw text —
 * `<%…%>` is ERB (Ruby code, run on this host), `x<<: file` includes a local file, `: {{…}}` is
 * an expression it evaluates later, `\n\n#…` becomes a key — and an escape keeps a value out of
 * every one of those text patterns while Psych still decodes it to the same character.
 */
const QUOTED_LITERAL = /^[A-Za-z0-9 _./:@+=,;~^()[\]!?*'$&|`-]$/;

const TEMPLATE_TAGS = new Set([
  'tag:yaml.org,2002:str',
  'tag:yaml.org,2002:int',
  'tag:yaml.org,2002:float',
  'tag:yaml.org,2002:bool',
  'tag:yaml.org,2002:null',
  'tag:yaml.org,2002:map',
  'tag:yaml.org,2002:seq',
]);

/** `value` as a YAML scalar that Psych reads as exactly this string. */
export function rubySafeString(value: string): string {
  if (PLAIN_SAFE.test(value) && !YAML11_WORDS.test(value)) return value;
  let out = '"';
  for (const char of value) {
    if (QUOTED_LITERAL.test(char)) {
      out += char;
      continue;
    }
    const code = char.codePointAt(0) ?? 0;
    if (char === '\\') out += '\\\\';
    else if (char === '"') out += '\\"';
    else if (code <= 0xff) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += `\\U${code.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

/**
 * A number as Psych reads it back: integers in decimal (YAML 1.2's `0o17` is a string in 1.1,
 * and a leading zero means octal there), other numbers with a `.` (Psych's float needs one).
 */
export function rubySafeNumber(value: number | bigint): string {
  if (typeof value === 'bigint') return value.toString();
  if (Number.isNaN(value)) return '.nan';
  if (!Number.isFinite(value)) return value > 0 ? '.inf' : '-.inf';
  if (Number.isInteger(value) && Math.abs(value) < 1e21) return Object.is(value, -0) ? '0' : value.toFixed(0);
  const text = String(value);
  const [mantissa = text, exponent] = text.split('e');
  const dotted = mantissa.includes('.') ? mantissa : `${mantissa}.0`;
  return exponent === undefined ? dotted : `${dotted}e${exponent.startsWith('-') ? '' : '+'}${exponent.replace(/^\+/, '')}`;
}

const stringTag = {
  identify: (value: unknown) => typeof value === 'string',
  default: true,
  tag: 'tag:yaml.org,2002:str',
  resolve: (text: string) => text,
  stringify: (item: { value: unknown }) => rubySafeString(String(item.value)),
};

const numberTag = {
  identify: (value: unknown) => typeof value === 'number' || typeof value === 'bigint',
  default: true,
  tag: 'tag:yaml.org,2002:float',
  resolve: (text: string) => Number(text),
  stringify: (item: { value: unknown }) => rubySafeNumber(item.value as number | bigint),
};

/**
 * Tags a job template may carry. Anything else (`!ruby/object:…`, `!binary`, a local `!tag`)
 * would be written back as it was, and Psych's unsafe load, which lkp-tests uses, builds Ruby objects from it.
 */
export function unsupportedTags(doc: Document): string[] {
  const found = new Set<string>();
  visit(doc, (_key, node) => {
    if (isNode(node) && node.tag !== undefined && !TEMPLATE_TAGS.has(node.tag)) found.add(node.tag);
  });
  return [...found];
}

/**
 * The document as text for Ruby: every scalar written so Psych reads what YAML 1.2 read; no line
 * folding. Core tags are dropped (the values are resolved already and written unambiguously), and so
 * are source formats such as `0o17`, which would otherwise be written back as they were.
 */
export function stringifyForRuby(doc: Document): string {
  visit(doc, (_key, node) => {
    if (!isNode(node)) return;
    if (node.tag !== undefined && TEMPLATE_TAGS.has(node.tag)) delete node.tag;
    if (isScalar(node)) {
      delete node.format;
      delete node.minFractionDigits;
    }
  });
  doc.schema = new Schema({ customTags: (tags) => [stringTag, numberTag, ...tags] });
  // lineWidth 0: a folded line could start with `%`, which lkp-tests' ERB pass reads as code.
  return doc.toString({ lineWidth: 0, minContentWidth: 0 });
}
