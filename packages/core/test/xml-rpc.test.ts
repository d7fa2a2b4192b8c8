import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createHttpClient } from '../src/sources/http-client.js';
import { FeedFormatError, SourceError, XmlRpcFaultError } from '../src/errors.js';
import { XmlRpcClient, isRateLimitFault } from '../src/sources/xml-rpc-client.js';
import {
  decodeMethodCall,
  decodeMethodResponse,
  encodeFault,
  encodeMethodCall,
  encodeMethodResponse,
  type XmlRpcValue,
} from '../src/sources/xml-rpc.js';
import { FakePypi } from '@pypi-watch/test-utils';

describe('XML-RPC format', () => {
  test('values survive an encode/decode round trip', () => {
    const value: XmlRpcValue = ['a & <b> "c"', '', '007', 42, -7, 2.5, true, false, null, [], { faultCode: 1, nested: { list: ['x', 1] } }];
    expect(decodeMethodResponse(encodeMethodResponse(value), 'test')).toEqual(value);
  });

  test('decodes what Python xmlrpc.server writes (whitespace, i4, untyped values, entities)', () => {
    const xml = `<?xml version='1.0'?>
<methodResponse>
<params>
<param>
<value><array><data>
<value><array><data>
<value><string>Django&amp;Co</string></value>
<value>2.0b1</value>
<value><i4>1775770620</i4></value>
<value><string>new release</string></value>
<value><int>31000001</int></value>
</data></array></value>
<value><struct>
<member><name>ok</name><value><boolean>1</boolean></value></member>
<member><name>ratio</name><value><double>-0.25</double></value></member>
</struct></value>
</data></array></value>
</param>
</params>
</methodResponse>
`;
    expect(decodeMethodResponse(xml, 'changelog_since_serial')).toEqual([
      ['Django&Co', '2.0b1', 1775770620, 'new release', 31000001],
      { ok: true, ratio: -0.25 },
    ]);
  });

  test('a <fault> becomes an XmlRpcFaultError with its code and string', () => {
    const error = (() => {
      try {
        decodeMethodResponse(encodeFault(-32500, 'HTTPTooManyRequests: slow down'), 'changelog_last_serial');
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(XmlRpcFaultError);
    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ faultCode: -32500, faultString: 'HTTPTooManyRequests: slow down', code: 'ERR_XMLRPC_FAULT' });
    expect(isRateLimitFault(error)).toBe(true);
  });

  test('a truncated response is a FeedFormatError that says so', () => {
    const xml = encodeMethodResponse([['pkg', '1.0', 1, 'new release', 2]]);
    const cut = xml.slice(0, Math.floor(xml.length / 2));
    expect(() => decodeMethodResponse(cut, 'changelog_since_serial')).toThrow(FeedFormatError);
    expect(() => decodeMethodResponse(cut, 'changelog_since_serial')).toThrow(
      /changelog_since_serial\(\) response is not well-formed XML \(truncated\?\)/,
    );
  });

  test('a wrongly typed scalar or a non-methodResponse is a FeedFormatError', () => {
    const badInt = '<methodResponse><params><param><value><int>12a</int></value></param></params></methodResponse>';
    expect(() => decodeMethodResponse(badInt, 'm')).toThrow(/<int> holds "12a"/);
    expect(() => decodeMethodResponse('<html><body>Service Unavailable</body></html>', 'm')).toThrow(FeedFormatError);
    const unknownType = '<methodResponse><params><param><value><base64>AA==</base64></value></param></params></methodResponse>';
    expect(() => decodeMethodResponse(unknownType, 'm')).toThrow(/unsupported XML-RPC type <base64>/);
  });

  test('a methodCall round-trips', () => {
    expect(decodeMethodCall(encodeMethodCall('changelog_since_serial', [31000000]))).toEqual({
      methodName: 'changelog_since_serial',
      params: [31000000],
    });
    expect(decodeMethodCall(encodeMethodCall('changelog_last_serial', []))).toEqual({ methodName: 'changelog_last_serial', params: [] });
  });
});

describe('XmlRpcClient', () => {
  let fake: FakePypi;
  let rpc: XmlRpcClient;
  let logs: Record<string, unknown>[];

  beforeEach(async () => {
    fake = new FakePypi();
    const baseUrl = await fake.start();
    logs = [];
    const logger = pino({}, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
    rpc = new XmlRpcClient({ http: createHttpClient({ baseUrl, maxRetryWaitMs: 1 }), rateLimitRetries: 2, maxRateLimitWaitMs: 1, logger });
  });

  afterEach(async () => {
    await fake.stop();
  });

  test('calls a method over POST /pypi with text/xml', async () => {
    fake.publishGenerated(5);
    await expect(rpc.call('changelog_last_serial')).resolves.toBe(fake.lastSerial);
    expect(fake.requests).toEqual([{ method: 'POST', path: '/pypi', body: encodeMethodCall('changelog_last_serial', []) }]);
  });

  test('backs off and retries after PyPI rate-limit faults', async () => {
    fake.failNext('rate-fault', 2);
    await expect(rpc.call('changelog_last_serial')).resolves.toBe(fake.lastSerial);
    expect(fake.requests).toHaveLength(3);
    const backoffs = logs.filter((entry) => entry['msg'] === 'PyPI XML-RPC rate limit, backing off');
    expect(backoffs.map((entry) => entry['attempt'])).toEqual([1, 2]);
  });

  test('gives up after rateLimitRetries with the fault', async () => {
    fake.failNext('rate-fault', 5);
    await expect(rpc.call('changelog_last_serial')).rejects.toMatchObject({ name: 'XmlRpcFaultError', faultCode: -32500 });
    expect(fake.requests).toHaveLength(3);
  });

  test('other faults are not retried', async () => {
    fake.failNext('fault');
    await expect(rpc.call('changelog_last_serial')).rejects.toMatchObject({ faultCode: 1, faultString: 'fake fault' });
    expect(fake.requests).toHaveLength(1);
  });

  test('an HTTP 429 is retried by the HTTP client', async () => {
    fake.failNext('429');
    await expect(rpc.call('changelog_last_serial')).resolves.toBe(fake.lastSerial);
    expect(fake.requests).toHaveLength(2);
  });
});
