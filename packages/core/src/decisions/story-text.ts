// The bytes of a stored story: separators and markers are control characters, and every control
// character of the text itself is escaped, so no outside string (a hostile version, a farm's reason)
// can ever look like structure. The Lua scripts rely on exactly that: they split on RS and US and
// rewrite LOCAL tokens without understanding anything else.
//
// A story: `<last at, base 36 ms>` then, per entry, RS `<delta ms>` US `<version>` US `<code>` (US `<field>`)*.

/** Ends the header and each entry. */
export const RS = '\x1e';
/** Between the fields of an entry. */
export const US = '\x1f';
/** Between the items of a list field. */
export const GS = '\x1d';
/** Escape: a control character c of the text is stored as ESC + chr(c + 0x40); a lone surrogate as ESC `u` + 4 hex digits. */
export const ESC = '\x10';
/** The version field of a decision about a whole project (no version). */
export const NO_VERSION = '\x11';
/** A reference into the shared string table: REF + base-36 id. */
export const REF = '\x12';
/** A reference into this write's own string list (ARGV), which the write script turns into a REF. */
export const LOCAL = '\x13';
/** A decimal number stored in base 36: NUM + digits. */
export const NUM = '\x14';
/** Ends a REF, LOCAL or NUM token when text starting with [0-9a-z] follows it. */
export const END = '\x15';
/** The story's subject (its project). */
export const SUBJECT = '\x16';
/** The entry's farm job number (the digits its farm job id ends with). */
export const JOB_NUMBER = '\x17';
/** A batch id `submit-log-YYYYMMDD-HHMMSS`, as seconds from the entry's time: BATCH + signed base 36. */
export const BATCH = '\x18';
/** A field present and empty (an empty field is an absent one). */
export const EMPTY = '\x19';

const NEEDS_PACKING = /[\u0000-\u001f\ud800-\udfff]/;
const BASE36_CHAR = /[0-9a-z]/;

/** The text with every control character (and lone surrogate) escaped: never contains a separator or marker. */
export function packText(text: string): string {
  if (!NEEDS_PACKING.test(text)) return text;
  let out = '';
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x20) out += ESC + String.fromCharCode(code + 0x40);
    else if (code >= 0xd800 && code <= 0xdbff && isLowSurrogate(text.charCodeAt(index + 1))) {
      out += text.slice(index, index + 2);
      index++;
    } else if (code >= 0xd800 && code <= 0xdfff) out += `${ESC}u${code.toString(16).padStart(4, '0')}`;
    else out += text[index];
  }
  return out;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** Joins parts, putting END after a token whose next part starts with a base-36 character. */
export function joinParts(parts: readonly string[]): string {
  let out = '';
  for (const part of parts) {
    if (out !== '' && part !== '' && endsWithToken(out) && BASE36_CHAR.test(part[0]!)) out += END;
    out += part;
  }
  return out;
}

function endsWithToken(text: string): boolean {
  for (let index = text.length - 1; index >= 0; index--) {
    const char = text[index]!;
    if (char === REF || char === LOCAL || char === NUM) return true;
    if (!BASE36_CHAR.test(char)) return false;
  }
  return false;
}

export function signed36(value: number): string {
  return value < 0 ? `-${(-value).toString(36)}` : value.toString(36);
}

const SIGNED36 = /^-?[0-9a-z]{1,11}$/;

/** A signed base-36 integer, or undefined when the text is not one (or not a safe integer). */
export function parseSigned36(text: string): number | undefined {
  if (!SIGNED36.test(text)) return undefined;
  const value = parseInt(text, 36);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** What a packed field may refer to besides itself. */
export interface UnpackContext {
  readonly subject: string;
  /** The shared string table's entry for an id; undefined once pruned (or never there). */
  readonly resolve: (id: string) => string | undefined;
  /** The entry's farm job number, once its farm job id was read. */
  jobNumber?: string | undefined;
}

/** What a reference to a string the table no longer holds reads as (only entries older than the TTL can have one). */
export const UNKNOWN_STRING = '(unknown)';

export class MalformedStoryError extends Error {
  override readonly name = 'MalformedStoryError';
}

/** The text a packed field stands for. Throws MalformedStoryError on bytes no encoder writes. */
export function unpackField(field: string, context: UnpackContext): string {
  if (field === EMPTY) return '';
  let out = '';
  let index = 0;
  const readToken = (): string => {
    let end = index + 1;
    while (end < field.length && BASE36_CHAR.test(field[end]!)) end++;
    const token = field.slice(index + 1, end);
    if (token === '') throw new MalformedStoryError('empty token');
    index = field[end] === END ? end + 1 : end;
    return token;
  };
  while (index < field.length) {
    const code = field.charCodeAt(index);
    if (code >= 0x20) {
      let end = index + 1;
      while (end < field.length && field.charCodeAt(end) >= 0x20) end++;
      out += field.slice(index, end);
      index = end;
      continue;
    }
    switch (field[index]) {
      case ESC: {
        const next = field.charCodeAt(index + 1);
        if (next >= 0x40 && next < 0x60) {
          out += String.fromCharCode(next - 0x40);
          index += 2;
        } else if (field[index + 1] === 'u' && /^[0-9a-f]{4}$/.test(field.slice(index + 2, index + 6))) {
          out += String.fromCharCode(parseInt(field.slice(index + 2, index + 6), 16));
          index += 6;
        } else throw new MalformedStoryError('bad escape');
        break;
      }
      case REF:
        out += context.resolve(readToken()) ?? UNKNOWN_STRING;
        break;
      case NUM: {
        const value = parseInt(readToken(), 36);
        if (!Number.isSafeInteger(value)) throw new MalformedStoryError('bad number');
        out += String(value);
        break;
      }
      case SUBJECT:
        out += context.subject;
        index++;
        break;
      case JOB_NUMBER:
        if (context.jobNumber === undefined) throw new MalformedStoryError('no job number to refer to');
        out += context.jobNumber;
        index++;
        break;
      default:
        throw new MalformedStoryError(`control character ${code} in a field`);
    }
  }
  return out;
}
