// XML-RPC wire format: encode a methodCall, decode a methodResponse or fault (and the reverse, for test servers).

import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { FeedFormatError, XmlRpcFaultError } from '../errors.js';

/** A decoded XML-RPC value. `<nil/>` (Python's allow_none extension) decodes to null. */
export type XmlRpcValue = string | number | boolean | null | readonly XmlRpcValue[] | { readonly [member: string]: XmlRpcValue };

export interface XmlRpcCall {
  readonly methodName: string;
  readonly params: readonly XmlRpcValue[];
}

// preserveOrder keeps array order exact and is the fastest mode for 50,000-entry changelog pages;
// values stay raw strings (parseTagValue: false) so `<string>007</string>` is never turned into 7.
const parser = new XMLParser({
  preserveOrder: true,
  trimValues: false,
  parseTagValue: false,
  ignoreAttributes: true,
  ignoreDeclaration: true,
  processEntities: true,
});

/** One node of fast-xml-parser's preserveOrder output: `{ tag: children }` or `{ '#text': text }`. */
type OrderedNode = Record<string, unknown>;

interface Element {
  readonly tag: string;
  readonly children: readonly OrderedNode[];
}

export function encodeMethodCall(methodName: string, params: readonly XmlRpcValue[]): string {
  const encodedParams = params.map((param) => `<param>${encodeValue(param)}</param>`).join('');
  return `<?xml version="1.0"?>\n<methodCall><methodName>${escapeXml(methodName)}</methodName><params>${encodedParams}</params></methodCall>\n`;
}

export function encodeMethodResponse(value: XmlRpcValue): string {
  return `<?xml version="1.0"?>\n<methodResponse><params><param>${encodeValue(value)}</param></params></methodResponse>\n`;
}

export function encodeFault(faultCode: number, faultString: string): string {
  return `<?xml version="1.0"?>\n<methodResponse><fault>${encodeValue({ faultCode, faultString })}</fault></methodResponse>\n`;
}

export function encodeValue(value: XmlRpcValue): string {
  if (value === null) return '<value><nil/></value>';
  if (typeof value === 'string') return `<value><string>${escapeXml(value)}</string></value>`;
  if (typeof value === 'boolean') return `<value><boolean>${value ? 1 : 0}</boolean></value>`;
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) ? `<value><int>${value}</int></value>` : `<value><double>${value}</double></value>`;
  }
  if (isArray(value)) return `<value><array><data>${value.map(encodeValue).join('')}</data></array></value>`;
  const members = Object.entries(value).map(
    ([name, member]) => `<member><name>${escapeXml(name)}</name>${encodeValue(member)}</member>`,
  );
  return `<value><struct>${members.join('')}</struct></value>`;
}

/**
 * Decodes a methodResponse. A `<fault>` throws XmlRpcFaultError; a body that is not well-formed
 * XML (typically cut off mid-transfer) or not a methodResponse throws FeedFormatError.
 */
export function decodeMethodResponse(xml: string, methodName: string): XmlRpcValue {
  const root = parseDocument(xml, 'methodResponse', `${methodName}() response`);
  const [body] = elementsOf(root.children);
  if (body?.tag === 'fault') {
    const fault = decodeValue(single(body, 'value'));
    const faultCode = isStruct(fault) ? fault['faultCode'] : undefined;
    const faultString = isStruct(fault) ? fault['faultString'] : undefined;
    throw new XmlRpcFaultError(
      methodName,
      typeof faultCode === 'number' ? faultCode : Number.NaN,
      typeof faultString === 'string' ? faultString : JSON.stringify(fault),
    );
  }
  if (body?.tag !== 'params') throw new FeedFormatError(`${methodName}() response has neither <params> nor <fault>`);
  return decodeValue(single(single(body, 'param'), 'value'));
}

/** Decodes a methodCall (what a server receives). */
export function decodeMethodCall(xml: string): XmlRpcCall {
  const root = parseDocument(xml, 'methodCall', 'XML-RPC call');
  const elements = elementsOf(root.children);
  const name = elements.find((element) => element.tag === 'methodName');
  if (!name) throw new FeedFormatError('XML-RPC call has no <methodName>');
  const params = elements.find((element) => element.tag === 'params');
  const values = params ? elementsOf(params.children).map((param) => decodeValue(single(param, 'value'))) : [];
  return { methodName: textOf(name.children).trim(), params: values };
}

function parseDocument(xml: string, rootTag: string, what: string): Element {
  // fast-xml-parser alone silently accepts a truncated document, so check well-formedness first.
  const validation = XMLValidator.validate(xml);
  if (validation !== true) {
    const { msg, line, col } = validation.err;
    throw new FeedFormatError(`${what} is not well-formed XML (truncated?): ${msg} at line ${line}, column ${col}`);
  }
  const root = elementsOf(parser.parse(xml) as OrderedNode[]).find((element) => element.tag === rootTag);
  if (!root) throw new FeedFormatError(`${what} has no <${rootTag}> element`);
  return root;
}

function decodeValue(value: Element): XmlRpcValue {
  const [typed, extra] = elementsOf(value.children);
  // A <value> with no type element is a string, per the XML-RPC spec.
  if (!typed) return textOf(value.children);
  if (extra) throw new FeedFormatError(`<value> holds more than one element (<${typed.tag}>, <${extra.tag}>)`);
  const text = textOf(typed.children);
  switch (typed.tag) {
    case 'string':
      return text;
    case 'int':
    case 'i4':
    case 'i8': {
      const trimmed = text.trim();
      if (!/^[+-]?\d+$/.test(trimmed)) throw new FeedFormatError(`<${typed.tag}> holds "${trimmed.slice(0, 40)}", not an integer`);
      return Number(trimmed);
    }
    case 'double': {
      const number = Number(text.trim());
      if (text.trim() === '' || Number.isNaN(number)) throw new FeedFormatError(`<double> holds "${text.trim().slice(0, 40)}"`);
      return number;
    }
    case 'boolean': {
      const trimmed = text.trim();
      if (trimmed !== '0' && trimmed !== '1') throw new FeedFormatError(`<boolean> holds "${trimmed.slice(0, 40)}", not 0 or 1`);
      return trimmed === '1';
    }
    case 'nil':
      return null;
    case 'array': {
      const data = single(typed, 'data');
      return elementsOf(data.children).map((item) => {
        if (item.tag !== 'value') throw new FeedFormatError(`<data> holds <${item.tag}>, expected <value>`);
        return decodeValue(item);
      });
    }
    case 'struct': {
      const struct: Record<string, XmlRpcValue> = {};
      for (const member of elementsOf(typed.children)) {
        struct[textOf(single(member, 'name').children)] = decodeValue(single(member, 'value'));
      }
      return struct;
    }
    default:
      throw new FeedFormatError(`unsupported XML-RPC type <${typed.tag}>`);
  }
}

function elementsOf(nodes: readonly OrderedNode[]): Element[] {
  const elements: Element[] = [];
  for (const node of nodes) {
    for (const [tag, children] of Object.entries(node)) {
      // '#text' is character data, ':@' attributes; whitespace between elements is not a value.
      if (tag.startsWith('#') || tag === ':@') continue;
      elements.push({ tag, children: Array.isArray(children) ? (children as OrderedNode[]) : [] });
    }
  }
  return elements;
}

function textOf(nodes: readonly OrderedNode[]): string {
  let text = '';
  for (const node of nodes) {
    const value = node['#text'];
    if (value !== undefined) text += String(value);
  }
  return text;
}

function single(parent: Element, tag: string): Element {
  const found = elementsOf(parent.children).find((element) => element.tag === tag);
  if (!found) throw new FeedFormatError(`<${parent.tag}> has no <${tag}>`);
  return found;
}

function isArray(value: XmlRpcValue): value is readonly XmlRpcValue[] {
  return Array.isArray(value);
}

function isStruct(value: XmlRpcValue): value is { readonly [member: string]: XmlRpcValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"]/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[char] ?? char);
}
