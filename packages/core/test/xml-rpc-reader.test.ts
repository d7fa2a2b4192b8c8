// The one-pass XML-RPC decoder against hostile and malformed documents: each is a FeedFormatError
// (never a hang, an expansion, a stack overflow or a silently shortened page), and what XML allows
// (comments, CDATA, character references, attributes, self-closing tags) decodes as XML says.

import { describe, expect, test } from 'vitest';
import { FeedFormatError, XmlRpcFaultError } from '../src/errors.js';
import { decodeMethodCall, decodeMethodResponse, encodeMethodResponse } from '../src/sources/xml-rpc.js';

const wrap = (value: string): string =>
  `<?xml version='1.0'?>\n<methodResponse><params><param>${value}</param></params></methodResponse>\n`;

function decodeError(xml: string): unknown {
  try {
    decodeMethodResponse(xml, 'changelog_since_serial');
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('hostile XML-RPC documents', () => {
  test('a DOCTYPE (entity declarations: billion laughs) is refused before anything expands', () => {
    const lol = ['<!ENTITY a "lollollollollollollollollollol">'];
    for (let level = 1; level < 10; level++)
      lol.push(`<!ENTITY ${String.fromCharCode(97 + level)} "${`&${String.fromCharCode(96 + level)};`.repeat(10)}">`);
    const xml =
      `<?xml version="1.0"?><!DOCTYPE methodResponse [${lol.join('')}]>` +
      `${wrap('<value><string>&j;</string></value>').replace(/^<\?xml[^>]*>\n/, '')}`;
    const started = performance.now();
    const error = decodeError(xml);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(error).toBeInstanceOf(FeedFormatError);
    expect(String(error)).toMatch(/DOCTYPE/);
  });

  test('an external entity is refused: nothing is read from disk', () => {
    const xml =
      `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY f SYSTEM "file:///etc/passwd">]>` +
      `${wrap('<value><string>&f;</string></value>').replace(/^<\?xml[^>]*>\n/, '')}`;
    expect(decodeError(xml)).toBeInstanceOf(FeedFormatError);
  });

  test('an undeclared entity or a bare & is malformed, not passed through as text', () => {
    expect(String(decodeError(wrap('<value><string>&nbsp;</string></value>')))).toMatch(/not well-formed XML.*unknown entity/);
    expect(String(decodeError(wrap('<value><string>a & b</string></value>')))).toMatch(/not well-formed XML.*bare "&"/);
    expect(String(decodeError(wrap('<value><string>&#0;</string></value>')))).toMatch(/not well-formed XML/);
  });

  test('nesting 100,000 arrays deep is a FeedFormatError, not a stack overflow', () => {
    const depth = 100_000;
    const xml = wrap(`${'<value><array><data>'.repeat(depth)}${'</data></array></value>'.repeat(depth)}`);
    const error = decodeError(xml);
    expect(error).toBeInstanceOf(FeedFormatError);
    expect(String(error)).toMatch(/nests elements deeper than/);
  });

  test('a page cut anywhere is malformed, never a shorter page', () => {
    const xml = encodeMethodResponse([
      ['pkg', '1.0', 1, 'new release', 2],
      ['other', '2.0', 3, 'new release', 4],
    ]);
    // Past the root's end tag only the trailing newline is left: those cuts are complete documents.
    const lastTag = xml.lastIndexOf('</methodResponse>');
    for (let cut = 1; cut < lastTag; cut++) {
      expect(decodeError(xml.slice(0, cut)), `cut at ${cut}`).toBeInstanceOf(FeedFormatError);
    }
  });

  test('mismatched, unclosed or extra elements and text after the root are malformed', () => {
    const bad = [
      wrap('<value><string>x</int></value>'),
      wrap('<value><string>x</value>'),
      `${wrap('<value>x</value>')}<methodResponse/>`,
      `${wrap('<value>x</value>')}trailing`,
      `junk${wrap('<value>x</value>')}`,
      wrap('<value><string a=1>x</string></value>'),
      wrap('<value><string a="x>x</string></value>'),
      wrap('<value><string>x<!-- unterminated</string></value>'),
    ];
    for (const xml of bad) expect(decodeError(xml), xml).toBeInstanceOf(FeedFormatError);
  });

  test('a truncated fault is malformed, not a fault (a cut rate-limit answer is not retried as one)', () => {
    const fault =
      `<?xml version='1.0'?>\n<methodResponse><fault><value><struct><member><name>faultCode</name><value><int>-32500</int>` +
      `</value></member></struct></value></fault>`;
    expect(decodeError(fault)).toBeInstanceOf(FeedFormatError);
    expect(decodeError(`${fault}</methodResponse>`)).toBeInstanceOf(XmlRpcFaultError);
  });
});

describe('what XML allows', () => {
  test('comments, CDATA, character references, attributes, a BOM and self-closing tags', () => {
    const head = `\ufeff<?xml version="1.0" encoding="utf-8"?>\n<!-- a mirror's banner -->\n`;
    const xml = `${head}<methodResponse a="1"><params><param><value><array><data>
      <value><string>a<![CDATA[<b>&amp;]]>&#x263A;&#65;&apos;&quot;</string></value>
      <value/>
      <value><string/></value>
      <value><nil/></value>
      <value><array><data/></array></value>
      <value><struct/></value>
      <!-- between values -->
      <value><i4> 42 </i4></value>
    </data></array></value></param></params></methodResponse>\n<!-- after -->\n`;
    expect(decodeMethodResponse(xml, 'm')).toEqual(['a<b>&amp;\u263aA\'"', '', '', null, [], {}, 42]);
  });

  test('a methodCall with params decodes through the same reader', () => {
    const xml =
      `<?xml version="1.0"?><methodCall><methodName> changelog_since_serial </methodName><params><param><value><int>7</int>` +
      `</value></param><param><value>x</value></param></params></methodCall>`;
    expect(decodeMethodCall(xml)).toEqual({ methodName: 'changelog_since_serial', params: [7, 'x'] });
    expect(() => decodeMethodCall('<methodCall><methodName>m</methodName>')).toThrow(FeedFormatError);
  });
});
