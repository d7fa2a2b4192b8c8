// The fake PyPI's side of XML-RPC, written apart from core's client codec (sources/xml-rpc.ts) on
// purpose: a fake that encoded with the code under test would agree with its bugs. Output is shaped
// as Python's xmlrpc.server writes it (warehouse's XML-RPC API is Python's dumps with allow_none).

/** A value the fake sends: what warehouse's changelog entries and faults are made of. */
export type XmlRpcValue = string | number | boolean | null | readonly XmlRpcValue[] | { readonly [member: string]: XmlRpcValue };

export interface FakeXmlRpcCall {
  readonly methodName: string;
  /** Scalar parameters only (`int`, `i4`, `string`, bare `<value>`): all the changelog API takes. */
  readonly params: readonly (string | number)[];
}

export function encodeMethodResponse(value: XmlRpcValue): string {
  return `<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n${encodeValue(value)}</param>\n</params>\n</methodResponse>\n`;
}

export function encodeFault(faultCode: number, faultString: string): string {
  return `<?xml version='1.0'?>\n<methodResponse>\n<fault>\n${encodeValue({ faultCode, faultString })}</fault>\n</methodResponse>\n`;
}

function encodeValue(value: XmlRpcValue): string {
  if (value === null) return '<value><nil/></value>\n';
  if (typeof value === 'string') return `<value><string>${escapeXml(value)}</string></value>\n`;
  if (typeof value === 'boolean') return `<value><boolean>${value ? 1 : 0}</boolean></value>\n`;
  if (typeof value === 'number')
    return Number.isInteger(value) ? `<value><int>${value}</int></value>\n` : `<value><double>${value}</double></value>\n`;
  if (Array.isArray(value))
    return `<value><array><data>\n${(value as readonly XmlRpcValue[]).map(encodeValue).join('')}</data></array></value>\n`;
  const members = Object.entries(value as Record<string, XmlRpcValue>).map(
    ([name, member]) => `<member>\n<name>${escapeXml(name)}</name>\n${encodeValue(member)}</member>\n`,
  );
  return `<value><struct>\n${members.join('')}</struct></value>\n`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const METHOD_NAME = /<methodName>\s*([^<]*?)\s*<\/methodName>/;
const PARAM = /<param>\s*<value>\s*(?:<(int|i4|i8|string)>([^<]*)<\/\1>|([^<]*))\s*<\/value>\s*<\/param>/g;

/** Reads what a client asked for; throws on a body with no `<methodCall>` or `<methodName>`. */
export function decodeMethodCall(xml: string): FakeXmlRpcCall {
  const call = /<methodCall>([\s\S]*)<\/methodCall>/.exec(xml)?.[1];
  const methodName = call === undefined ? undefined : METHOD_NAME.exec(call)?.[1];
  if (call === undefined || methodName === undefined) throw new Error('not an XML-RPC methodCall');
  const params: (string | number)[] = [];
  for (const [, type, typed, bare] of call.matchAll(PARAM)) {
    const text = unescapeXml(typed ?? bare ?? '');
    params.push(type === 'int' || type === 'i4' || type === 'i8' ? Number(text) : text);
  }
  return { methodName, params };
}

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}
