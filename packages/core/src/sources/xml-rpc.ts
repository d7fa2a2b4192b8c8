// XML-RPC wire format: encode a methodCall, decode a methodResponse or fault (and the reverse, for test servers).

import { FeedFormatError, XmlRpcFaultError } from '../errors.js';
import { XmlRpcReader } from './xml-rpc-reader.js';

/** A decoded XML-RPC value. `<nil/>` (Python's allow_none extension) decodes to null. */
export type XmlRpcValue = string | number | boolean | null | readonly XmlRpcValue[] | { readonly [member: string]: XmlRpcValue };

export interface XmlRpcCall {
  readonly methodName: string;
  readonly params: readonly XmlRpcValue[];
}

export function encodeMethodCall(methodName: string, params: readonly XmlRpcValue[]): string {
  const encodedParams = params.map((param) => `<param>${encodeValue(param)}</param>`).join('');
  return (
    `<?xml version="1.0"?>\n<methodCall><methodName>${escapeXml(methodName)}</methodName><params>${encodedParams}</params>` +
    `</methodCall>\n`
  );
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
  const members = Object.entries(value).map(([name, member]) => `<member><name>${escapeXml(name)}</name>${encodeValue(member)}</member>`);
  return `<value><struct>${members.join('')}</struct></value>`;
}

/**
 * Decodes a methodResponse in one pass over the text (a 50,000-entry changelog page is ~15 MiB):
 * well-formedness is checked as values are built. A `<fault>` throws XmlRpcFaultError; a body that
 * is not well-formed XML (typically cut off mid-transfer) or not a methodResponse throws FeedFormatError.
 */
export function decodeMethodResponse(xml: string, methodName: string): XmlRpcValue {
  return decodeResponse(xml, methodName, undefined) as XmlRpcValue;
}

/**
 * decodeMethodResponse for a response whose value should be an array: each item goes to `onItem` as
 * soon as it is decoded, so a caller that keeps only what it reads from each (a changelog page's
 * entries) never holds the whole page's values. Returns undefined for an array, else the value
 * itself. The document is still checked to its end before this returns, and a truncated one throws
 * after some items were handed over: act on them only once it has returned.
 */
export function decodeArrayResponse(xml: string, methodName: string, onItem: (item: XmlRpcValue) => void): XmlRpcValue | undefined {
  const value = decodeResponse(xml, methodName, onItem);
  return value === STREAMED ? undefined : value;
}

/** What decodeValue returns for the array whose items went to `onItem`. */
const STREAMED: unique symbol = Symbol('streamed');

function decodeResponse(xml: string, methodName: string, onItem: ((item: XmlRpcValue) => void) | undefined): XmlRpcValue | typeof STREAMED {
  const reader = new XmlRpcReader(xml, `${methodName}() response`);
  if (reader.openRoot('methodResponse').selfClosing) throw new FeedFormatError(`${methodName}() response has neither <params> nor <fault>`);
  const body = reader.nextChild('methodResponse');
  if (body?.name === 'fault') {
    const fault = decodeValue(reader, childNamed(reader, 'fault', body.selfClosing, 'value'));
    reader.skipRest('fault');
    closeRoot(reader, 'methodResponse');
    const faultCode = isStruct(fault) ? fault['faultCode'] : undefined;
    const faultString = isStruct(fault) ? fault['faultString'] : undefined;
    throw new XmlRpcFaultError(
      methodName,
      typeof faultCode === 'number' ? faultCode : Number.NaN,
      typeof faultString === 'string' ? faultString : JSON.stringify(fault),
    );
  }
  if (body?.name !== 'params') throw new FeedFormatError(`${methodName}() response has neither <params> nor <fault>`);
  const param = childNamed(reader, 'params', body.selfClosing, 'param');
  const value = decodeValue(reader, childNamed(reader, 'param', param.selfClosing, 'value'), onItem);
  reader.skipRest('param');
  reader.skipRest('params');
  closeRoot(reader, 'methodResponse');
  return value;
}

/** Decodes a methodCall (what a server receives). */
export function decodeMethodCall(xml: string): XmlRpcCall {
  const reader = new XmlRpcReader(xml, 'XML-RPC call');
  const root = reader.openRoot('methodCall');
  let methodName: string | undefined;
  let params: XmlRpcValue[] | undefined;
  for (let child = root.selfClosing ? undefined : reader.nextChild('methodCall'); child; child = reader.nextChild('methodCall')) {
    if (child.name === 'methodName' && methodName === undefined) methodName = reader.readText('methodName', child.selfClosing).trim();
    else if (child.name === 'params' && params === undefined) params = decodeParams(reader, child.selfClosing);
    else reader.skipElement(child.name, child.selfClosing);
  }
  reader.finish();
  if (methodName === undefined) throw new FeedFormatError('XML-RPC call has no <methodName>');
  return { methodName, params: params ?? [] };
}

function decodeParams(reader: XmlRpcReader, selfClosing: boolean): XmlRpcValue[] {
  const values: XmlRpcValue[] = [];
  for (let param = selfClosing ? undefined : reader.nextChild('params'); param; param = reader.nextChild('params')) {
    values.push(decodeValue(reader, childNamed(reader, param.name, param.selfClosing, 'value')));
    reader.skipRest(param.name);
  }
  return values;
}

/** Reads the rest of the root and what follows it: a response must be well-formed to its end. */
function closeRoot(reader: XmlRpcReader, root: string): void {
  reader.skipRest(root);
  reader.finish();
}

/** The first child `<tag>` of the open element `parent` (earlier siblings skipped); its start tag is read. */
function childNamed(reader: XmlRpcReader, parent: string, parentSelfClosing: boolean, tag: string): { selfClosing: boolean } {
  for (let child = parentSelfClosing ? undefined : reader.nextChild(parent); child; child = reader.nextChild(parent)) {
    if (child.name === tag) return child;
    reader.skipElement(child.name, child.selfClosing);
  }
  throw new FeedFormatError(`<${parent}> has no <${tag}>`);
}

/** A `<value>` whose start tag was just read, up to and including its end tag. */
function decodeValue(reader: XmlRpcReader, value: { selfClosing: boolean }): XmlRpcValue;
/** With `onItem`: an array's items go there one by one, and STREAMED comes back for the array. */
function decodeValue(
  reader: XmlRpcReader,
  value: { selfClosing: boolean },
  onItem: ((item: XmlRpcValue) => void) | undefined,
): XmlRpcValue | typeof STREAMED;
function decodeValue(
  reader: XmlRpcReader,
  value: { selfClosing: boolean },
  onItem?: (item: XmlRpcValue) => void,
): XmlRpcValue | typeof STREAMED {
  if (value.selfClosing) return '';
  let text = '';
  // The type element's tag once it was read (its value in `decoded`); two locals, not an object per value.
  let decodedTag: string | undefined;
  let decoded: XmlRpcValue | typeof STREAMED = '';
  for (;;) {
    const node = reader.nextNode('value');
    // A <value> with no type element is a string, per the XML-RPC spec.
    if (node.kind === 'end') return decodedTag === undefined ? text : decoded;
    if (node.kind === 'text') {
      if (decodedTag === undefined) text += node.text;
      continue;
    }
    if (decodedTag !== undefined) throw new FeedFormatError(`<value> holds more than one element (<${decodedTag}>, <${node.name}>)`);
    decoded = decodeTyped(reader, node.name, node.selfClosing, onItem);
    decodedTag = node.name;
  }
}

function decodeTyped(
  reader: XmlRpcReader,
  tag: string,
  selfClosing: boolean,
  onItem?: (item: XmlRpcValue) => void,
): XmlRpcValue | typeof STREAMED {
  switch (tag) {
    case 'string':
      return reader.readText(tag, selfClosing);
    case 'int':
    case 'i4':
    case 'i8': {
      const trimmed = reader.readText(tag, selfClosing).trim();
      if (!/^[+-]?\d+$/.test(trimmed)) throw new FeedFormatError(`<${tag}> holds "${trimmed.slice(0, 40)}", not an integer`);
      return Number(trimmed);
    }
    case 'double': {
      const text = reader.readText(tag, selfClosing);
      const number = Number(text.trim());
      if (text.trim() === '' || Number.isNaN(number)) throw new FeedFormatError(`<double> holds "${text.trim().slice(0, 40)}"`);
      return number;
    }
    case 'boolean': {
      const trimmed = reader.readText(tag, selfClosing).trim();
      if (trimmed !== '0' && trimmed !== '1') throw new FeedFormatError(`<boolean> holds "${trimmed.slice(0, 40)}", not 0 or 1`);
      return trimmed === '1';
    }
    case 'nil':
      reader.skipElement(tag, selfClosing);
      return null;
    case 'array': {
      const data = childNamed(reader, 'array', selfClosing, 'data');
      const items: XmlRpcValue[] = [];
      for (let item = data.selfClosing ? undefined : reader.nextChild('data'); item; item = reader.nextChild('data')) {
        if (item.name !== 'value') throw new FeedFormatError(`<data> holds <${item.name}>, expected <value>`);
        const decoded = decodeValue(reader, item);
        if (onItem) onItem(decoded);
        else items.push(decoded);
      }
      reader.skipRest('array');
      return onItem ? STREAMED : items;
    }
    case 'struct': {
      const struct: Record<string, XmlRpcValue> = {};
      for (let member = selfClosing ? undefined : reader.nextChild('struct'); member; member = reader.nextChild('struct')) {
        const [name, value] = decodeMember(reader, member.name, member.selfClosing);
        struct[name] = value;
      }
      return struct;
    }
    default:
      throw new FeedFormatError(`unsupported XML-RPC type <${tag}>`);
  }
}

/** A struct member: its first `<name>` and first `<value>`, in either order; other children skipped. */
function decodeMember(reader: XmlRpcReader, tag: string, selfClosing: boolean): [string, XmlRpcValue] {
  let name: string | undefined;
  let value: { value: XmlRpcValue } | undefined;
  for (let child = selfClosing ? undefined : reader.nextChild(tag); child; child = reader.nextChild(tag)) {
    if (child.name === 'name' && name === undefined) name = reader.readText('name', child.selfClosing);
    else if (child.name === 'value' && value === undefined) value = { value: decodeValue(reader, child) };
    else reader.skipElement(child.name, child.selfClosing);
  }
  if (name === undefined) throw new FeedFormatError(`<${tag}> has no <name>`);
  if (value === undefined) throw new FeedFormatError(`<${tag}> has no <value>`);
  return [name, value.value];
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
