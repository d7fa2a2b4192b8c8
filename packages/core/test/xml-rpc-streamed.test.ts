// decodeArrayResponse: a response's array items go to the caller one by one as they are decoded
// (a changelog page's 50,000 entries are never all held as values), the document still checked to its end.

import { describe, expect, test } from 'vitest';
import { FeedFormatError, XmlRpcFaultError } from '../src/errors.js';
import { decodeArrayResponse, decodeMethodResponse, encodeFault, encodeMethodResponse, type XmlRpcValue } from '../src/sources/xml-rpc.js';

const PAGE: XmlRpcValue = [
  ['Django&Co', '2.0b1', 1775770620, 'new release', 31000001],
  ['Django&Co', '2.0b1', 1775770621, 'add source file Django-2.0b1.tar.gz', 31000002],
  [['nested', ['array']], { member: 1 }],
];

function collect(xml: string): { items: XmlRpcValue[]; returned: XmlRpcValue | undefined } {
  const items: XmlRpcValue[] = [];
  const returned = decodeArrayResponse(xml, 'changelog_since_serial', (item) => items.push(item));
  return { items, returned };
}

describe('decodeArrayResponse', () => {
  test('hands over each item of the array in order, as decodeMethodResponse decodes them, and returns undefined', () => {
    const xml = encodeMethodResponse(PAGE);
    expect(collect(xml)).toEqual({ items: decodeMethodResponse(xml, 'changelog_since_serial'), returned: undefined });
  });

  test('an empty array hands over nothing', () => {
    expect(collect(encodeMethodResponse([]))).toEqual({ items: [], returned: undefined });
  });

  test('a value that is not an array comes back whole, and no item is handed over', () => {
    expect(collect(encodeMethodResponse({ faultCode: 1 }))).toEqual({ items: [], returned: { faultCode: 1 } });
    expect(collect(encodeMethodResponse('text'))).toEqual({ items: [], returned: 'text' });
  });

  test('items are handed over as they are decoded: a page cut off after its first entries throws after those', () => {
    const xml = encodeMethodResponse(PAGE);
    const cut = xml.slice(0, xml.indexOf('Django-2.0b1.tar.gz'));
    const items: XmlRpcValue[] = [];
    expect(() => decodeArrayResponse(cut, 'changelog_since_serial', (item) => items.push(item))).toThrow(FeedFormatError);
    expect(items).toEqual([PAGE[0]]);
  });

  test('what follows the array is still checked: junk after the root throws once every item was handed over', () => {
    const items: XmlRpcValue[] = [];
    expect(() => decodeArrayResponse(`${encodeMethodResponse(PAGE)}<junk/>`, 'm', (item) => items.push(item))).toThrow(
      /content after the root element/,
    );
    expect(items).toHaveLength(3);
  });

  test('a fault throws XmlRpcFaultError before any item', () => {
    const items: XmlRpcValue[] = [];
    expect(() => decodeArrayResponse(encodeFault(-32500, 'HTTPTooManyRequests'), 'm', (item) => items.push(item))).toThrow(
      XmlRpcFaultError,
    );
    expect(items).toEqual([]);
  });
});
