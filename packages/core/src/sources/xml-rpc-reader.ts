// A one-pass XML reader for XML-RPC documents: checks well-formedness as it goes (every tag closed
// by its own name, attributes quoted, entity references known, nothing after the root), so the
// decoder over it validates and builds values in the same pass, with no tree in between.
// Refused outright: a DOCTYPE (no DTD, so no entity declarations and no entity bombs) and nesting
// deeper than MAX_DEPTH. Character data is not checked against XML's character ranges: the decoder
// before this one (fast-xml-parser) let a raw NUL through to the name check, and so does this one.

import { FeedFormatError } from '../errors.js';

/** Deepest element nesting accepted; a changelog page is 7 deep. Bounds the decoder's recursion. */
export const MAX_DEPTH = 256;

const LT = 0x3c; // <
const GT = 0x3e; // >
const SLASH = 0x2f;
const BANG = 0x21;
const QUESTION = 0x3f;
const EQUALS = 0x3d;
const QUOTE = 0x22;
const APOSTROPHE = 0x27;

const NAMED_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** What nextNode found: character data, a child element's start tag, or the parent's end tag. */
export type XmlNode =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'start'; readonly name: string; readonly selfClosing: boolean }
  | { readonly kind: 'end' };

/** Every end tag is the same node: a 50,000-entry page has ~600,000 of them. */
const END: XmlNode = Object.freeze({ kind: 'end' });

/**
 * XML-RPC's element names, returned as these very strings instead of a fresh slice per tag: no
 * allocation, and the decoder's comparisons with its literals find the same string at once.
 */
const KNOWN_NAMES: ReadonlyMap<number, readonly string[]> = (() => {
  const names = ['value', 'string', 'int', 'i4', 'i8', 'double', 'boolean', 'nil', 'array', 'data', 'struct', 'member', 'name'];
  names.push('param', 'params', 'methodResponse', 'methodCall', 'methodName', 'fault');
  const byLength = new Map<number, string[]>();
  for (const name of names) byLength.set(name.length, [...(byLength.get(name.length) ?? []), name]);
  return byLength;
})();

export class XmlRpcReader {
  #pos = 0;
  #depth = 0;

  /** `what` names the document in errors, e.g. `changelog_since_serial() response`. */
  constructor(
    private readonly xml: string,
    private readonly what: string,
  ) {}

  /** Reads up to and including the root's start tag; throws unless the root is `<rootTag>`. */
  openRoot(rootTag: string): { selfClosing: boolean } {
    if (this.xml.charCodeAt(0) === 0xfeff) this.#pos = 1;
    for (;;) {
      this.#skipWhitespace();
      if (this.#pos >= this.xml.length) this.malformed('no root element');
      if (this.xml.charCodeAt(this.#pos) !== LT) this.malformed('text before the root element');
      if (this.#skipMarkup(true)) continue;
      const start = this.#readStartTag();
      if (start.name !== rootTag) throw new FeedFormatError(`${this.what} has no <${rootTag}> element`);
      return { selfClosing: start.selfClosing };
    }
  }

  /** After the root's end tag: only whitespace, comments and processing instructions may follow. */
  finish(): void {
    for (;;) {
      this.#skipWhitespace();
      if (this.#pos >= this.xml.length) return;
      if (this.xml.charCodeAt(this.#pos) !== LT || !this.#skipMarkup(false)) this.malformed('content after the root element');
    }
  }

  /**
   * The next thing inside the open element `parent`: text (entities decoded, CDATA as is; comments
   * and processing instructions skipped), a child's start tag, or `parent`'s end tag (consumed).
   */
  nextNode(parent: string): XmlNode {
    const xml = this.xml;
    for (;;) {
      if (this.#pos >= xml.length) this.malformed(`<${parent}> is not closed`);
      if (xml.charCodeAt(this.#pos) !== LT) return { kind: 'text', text: this.#readText() };
      const next = xml.charCodeAt(this.#pos + 1);
      if (next === SLASH) {
        this.#readEndTag(parent);
        return END;
      }
      if (next === BANG && xml.startsWith('<![CDATA[', this.#pos)) {
        const end = xml.indexOf(']]>', this.#pos + 9);
        if (end < 0) this.malformed('unterminated CDATA section');
        const text = xml.slice(this.#pos + 9, end);
        this.#pos = end + 3;
        return { kind: 'text', text };
      }
      if (this.#skipMarkup(false)) continue;
      return this.#readStartTag();
    }
  }

  /** The next child element of `parent` (text between elements ignored), or undefined once `parent` closes. */
  nextChild(parent: string): { name: string; selfClosing: boolean } | undefined {
    for (;;) {
      const node = this.nextNode(parent);
      if (node.kind === 'end') return undefined;
      if (node.kind === 'start') return node;
    }
  }

  /** The text of an element whose start tag was just read, child elements skipped (their text too). */
  readText(name: string, selfClosing: boolean): string {
    if (selfClosing) return '';
    let text = '';
    for (;;) {
      // Character data read straight away: `<string>pkg</string>` makes no node object.
      if (this.#pos < this.xml.length && this.xml.charCodeAt(this.#pos) !== LT) {
        text += this.#readText();
        continue;
      }
      const node = this.nextNode(name);
      if (node.kind === 'end') return text;
      if (node.kind === 'text') text += node.text;
      else this.skipElement(node.name, node.selfClosing);
    }
  }

  /** Skips an element whose start tag was just read, checking it is well-formed. */
  skipElement(name: string, selfClosing: boolean): void {
    if (selfClosing) return;
    for (;;) {
      const node = this.nextNode(name);
      if (node.kind === 'end') return;
      if (node.kind === 'start') this.skipElement(node.name, node.selfClosing);
    }
  }

  /** Skips the rest of the open element `name`, up to and including its end tag. */
  skipRest(name: string): void {
    this.skipElement(name, false);
  }

  malformed(message: string): never {
    let line = 1;
    let lineStart = 0;
    const upTo = Math.min(this.#pos, this.xml.length);
    for (let index = this.xml.indexOf('\n'); index >= 0 && index < upTo; index = this.xml.indexOf('\n', index + 1)) {
      line++;
      lineStart = index + 1;
    }
    throw new FeedFormatError(
      `${this.what} is not well-formed XML (truncated?): ${message} at line ${line}, column ${upTo - lineStart + 1}`,
    );
  }

  #skipWhitespace(): void {
    const xml = this.xml;
    let pos = this.#pos;
    for (let code = xml.charCodeAt(pos); code === 0x20 || code === 0x0a || code === 0x09 || code === 0x0d; code = xml.charCodeAt(++pos));
    this.#pos = pos;
  }

  /** Skips a comment or processing instruction at `<`; refuses a DOCTYPE. False when something else is there. */
  #skipMarkup(prolog: boolean): boolean {
    const xml = this.xml;
    const next = xml.charCodeAt(this.#pos + 1);
    if (next === QUESTION) {
      const end = xml.indexOf('?>', this.#pos + 2);
      if (end < 0) this.malformed('unterminated processing instruction');
      this.#pos = end + 2;
      return true;
    }
    if (next !== BANG) return false;
    if (xml.startsWith('<!--', this.#pos)) {
      const end = xml.indexOf('-->', this.#pos + 4);
      if (end < 0) this.malformed('unterminated comment');
      this.#pos = end + 3;
      return true;
    }
    if (xml.startsWith('<!DOCTYPE', this.#pos)) {
      // XML-RPC has no DTD; one here could only declare entities (billion laughs) or fetch files.
      throw new FeedFormatError(`${this.what} has a DOCTYPE, which XML-RPC never sends: refused`);
    }
    if (prolog) this.malformed('unexpected markup');
    return false;
  }

  /** At `<name`: reads the start tag, attributes checked and dropped; counts the depth. */
  #readStartTag(): { readonly kind: 'start'; readonly name: string; readonly selfClosing: boolean } {
    const xml = this.xml;
    const nameStart = this.#pos + 1;
    let pos = nameStart;
    for (let code = xml.charCodeAt(pos); isNameChar(code); code = xml.charCodeAt(++pos));
    if (pos === nameStart) this.malformed('a tag without a name');
    const name = knownName(xml, nameStart, pos) ?? xml.slice(nameStart, pos);
    for (;;) {
      const code = xml.charCodeAt(pos);
      if (code === GT) {
        this.#pos = pos + 1;
        if (++this.#depth > MAX_DEPTH) throw new FeedFormatError(`${this.what} nests elements deeper than ${MAX_DEPTH}: refused`);
        return { kind: 'start', name, selfClosing: false };
      }
      if (code === SLASH) {
        if (xml.charCodeAt(pos + 1) !== GT) this.malformed(`a stray "/" in <${name}>`);
        this.#pos = pos + 2;
        return { kind: 'start', name, selfClosing: true };
      }
      if (code === 0x20 || code === 0x0a || code === 0x09 || code === 0x0d) {
        pos++;
        continue;
      }
      if (Number.isNaN(code)) {
        this.#pos = pos;
        this.malformed(`<${name}> is cut off`);
      }
      pos = this.#skipAttribute(pos, name);
    }
  }

  /** At an attribute's name: `name = "value"`; returns the position after it. */
  #skipAttribute(start: number, tag: string): number {
    const xml = this.xml;
    let pos = start;
    for (let code = xml.charCodeAt(pos); isNameChar(code); code = xml.charCodeAt(++pos));
    if (pos === start) {
      this.#pos = pos;
      this.malformed(`an unexpected character in <${tag}>`);
    }
    while (isSpace(xml.charCodeAt(pos))) pos++;
    if (xml.charCodeAt(pos) !== EQUALS) {
      this.#pos = pos;
      this.malformed(`an attribute without a value in <${tag}>`);
    }
    pos++;
    while (isSpace(xml.charCodeAt(pos))) pos++;
    const quote = xml.charCodeAt(pos);
    if (quote !== QUOTE && quote !== APOSTROPHE) {
      this.#pos = pos;
      this.malformed(`an unquoted attribute value in <${tag}>`);
    }
    const end = xml.indexOf(quote === QUOTE ? '"' : "'", pos + 1);
    if (end < 0 || xml.lastIndexOf('<', end) > pos) {
      this.#pos = pos;
      this.malformed(`an unterminated attribute value in <${tag}>`);
    }
    return end + 1;
  }

  /** At `</`: the end tag must close `name`. */
  #readEndTag(name: string): void {
    const xml = this.xml;
    let pos = this.#pos + 2;
    if (!xml.startsWith(name, pos) || isNameChar(xml.charCodeAt(pos + name.length)))
      this.malformed(`a closing tag that does not close <${name}>`);
    pos += name.length;
    while (isSpace(xml.charCodeAt(pos))) pos++;
    if (xml.charCodeAt(pos) !== GT) {
      this.#pos = pos;
      this.malformed(`</${name}> is cut off`);
    }
    this.#pos = pos + 1;
    this.#depth--;
  }

  /** Character data up to the next `<` (or the end), entity references decoded. */
  #readText(): string {
    const xml = this.xml;
    const start = this.#pos;
    let end = xml.indexOf('<', start);
    if (end < 0) end = xml.length;
    this.#pos = end;
    // Searched within the slice: an indexOf('&') on the whole document would scan to its end each time.
    const raw = xml.slice(start, end);
    return raw.includes('&') ? this.#decodeEntities(raw, start) : raw;
  }

  #decodeEntities(raw: string, offset: number): string {
    let out = '';
    let pos = 0;
    for (let amp = raw.indexOf('&'); amp >= 0; amp = raw.indexOf('&', pos)) {
      out += raw.slice(pos, amp);
      const semicolon = raw.indexOf(';', amp);
      if (semicolon < 0 || semicolon - amp > 10) {
        this.#pos = offset + amp;
        this.malformed('a bare "&" (not an entity reference)');
      }
      const ref = raw.slice(amp + 1, semicolon);
      out += Object.hasOwn(NAMED_ENTITIES, ref) ? NAMED_ENTITIES[ref] : this.#characterReference(ref, offset + amp);
      pos = semicolon + 1;
    }
    return out + raw.slice(pos);
  }

  #characterReference(ref: string, at: number): string {
    const digits = /^#(?:x([0-9a-fA-F]{1,6})|([0-9]{1,7}))$/.exec(ref);
    const code = digits === null ? Number.NaN : digits[1] !== undefined ? Number.parseInt(digits[1], 16) : Number(digits[2]);
    // XML 1.0 allows no character reference to NUL, a surrogate, or past U+10FFFF.
    if (Number.isNaN(code) || code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
      this.#pos = at;
      this.malformed(`an unknown entity "&${ref.slice(0, 12)};" (XML-RPC has no DTD to declare one)`);
    }
    return String.fromCodePoint(code);
  }
}

/** The XML-RPC element name spelled at xml[start, end), if it is one. */
function knownName(xml: string, start: number, end: number): string | undefined {
  const candidates = KNOWN_NAMES.get(end - start);
  if (candidates === undefined) return undefined;
  for (const name of candidates) if (xml.startsWith(name, start)) return name;
  return undefined;
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x09 || code === 0x0d;
}

/** Letters, digits, `_ - . :` and anything past ASCII: lenient, like the parser before. */
function isNameChar(code: number): boolean {
  return (
    (code >= 0x61 && code <= 0x7a) ||
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x30 && code <= 0x39) ||
    code === 0x5f ||
    code === 0x2d ||
    code === 0x2e ||
    code === 0x3a ||
    code >= 0x80
  );
}
