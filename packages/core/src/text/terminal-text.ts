// Outside text (feed names and versions, farm messages, error text) made safe to print on an operator's terminal.

/**
 * What a terminal or a text viewer acts on instead of showing: C0 controls (ESC starts every
 * escape sequence, BEL ends an OSC title change), DEL, C1 controls (U+009B is a one-character CSI
 * on many terminals, U+009D an OSC), bidi marks, embeddings, overrides and isolates (text that
 * shows in another order than it is), zero-width characters and the BOM (text that looks like
 * other text), and the Unicode line and paragraph separators (a line break to some viewers).
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;
/** `UNSAFE` but for tab and line feed, for text whose line structure is ours (a stack trace, a help page). */
const UNSAFE_IN_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;
/** What JSON.stringify leaves raw (it escapes C0 itself): escaped as `\uXXXX`, which JSON decodes to the same text. */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

export interface TerminalTextOptions {
  /** Keep `\n` and `\t` as they are (for text of several lines); every other control is still escaped. @defaultValue false */
  readonly multiline?: boolean;
}

/**
 * The text with every unsafe character shown as an escape: `\x1b` for one up to U+00FF, `\u202e`
 * above (as the dashboard's pages and `printable` show them). Nothing is cut: bound long text first.
 */
export function terminalText(text: string, options: TerminalTextOptions = {}): string {
  return text.replace(options.multiline === true ? UNSAFE_IN_LINES : UNSAFE, escapeChar);
}

/**
 * `JSON.stringify(value, null, space)` with what it leaves raw (DEL, C1, bidi and zero-width
 * characters) written as `\uXXXX` escapes: a JSON reader gets exactly the same strings back, and a
 * terminal showing the text is not driven by it. Those characters can only occur inside JSON
 * strings, where `\uXXXX` is valid.
 */
export function terminalJson(value: unknown, space?: number): string {
  return terminalJsonText(JSON.stringify(value, null, space) ?? 'null');
}

/** `terminalJson` for text that is JSON already (a pino line): the same JSON, nothing raw that a terminal acts on. */
export function terminalJsonText(json: string): string {
  return json.replace(UNSAFE_IN_JSON, jsonEscape);
}

/**
 * For a stream that carries both plain text and JSON (a CLI's stdout): tab and line feed stay,
 * the other C0 controls become `\x1b`-style escapes (JSON.stringify never writes them raw), and
 * the rest become `\uXXXX` escapes, valid inside a JSON string and readable outside one.
 */
export function terminalStreamText(text: string): string {
  return text.replace(UNSAFE_IN_LINES, (char) => (char.charCodeAt(0) < 0x20 ? escapeChar(char) : jsonEscape(char)));
}

function escapeChar(char: string): string {
  const code = char.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

function jsonEscape(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}
