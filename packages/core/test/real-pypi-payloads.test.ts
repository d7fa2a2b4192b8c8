// Real PyPI payloads (../shared/data/real-pypi, origins in its PROVENANCE.md) served byte for byte
// from 127.0.0.1 and read through the real sources. XML-RPC results are checked against the values
// CPython decoded (xmlrpc/source-json/), RSS items against the titles and dates in the files.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createReleaseSource } from '../src/sources/create-source.js';
import type { ReleaseEvent } from '../src/sources/release-source.js';
import { XmlRpcFaultError } from '../src/errors.js';
import { decodeMethodCall, decodeMethodResponse, encodeMethodResponse } from '../src/sources/xml-rpc.js';

// The repository's parent holds shared/: packages/core/test → ../../.. is the repo root.
const DATA = fileURLToPath(new URL('../../../../shared/data/real-pypi/', import.meta.url));

beforeAll(() => {
  if (!existsSync(DATA))
    throw new Error(`real PyPI payloads not found at ${DATA} (expected ../shared/data/real-pypi next to the repository)`);
});

function bytes(path: string): Buffer {
  return readFileSync(`${DATA}${path}`);
}

function oracle(path: string): unknown {
  return JSON.parse(readFileSync(`${DATA}xmlrpc/source-json/${path}`, 'utf8')) as unknown;
}

type Entry = [string, string | null, number, string, number];

/** Answers POST /pypi per method from queues of bodies, GET /rss/updates.xml with one body; counts requests. */
class Replay {
  readonly calls: string[] = [];
  readonly rpc = new Map<string, Buffer[]>();
  feed: Buffer | undefined;
  #server: Server | undefined;

  async start(): Promise<string> {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        let body: Buffer | undefined;
        if (request.method === 'POST' && request.url === '/pypi') {
          const call = decodeMethodCall(Buffer.concat(chunks).toString('utf8'));
          this.calls.push(`${call.methodName}(${call.params.map((param) => JSON.stringify(param)).join(',')})`);
          const queue = this.rpc.get(call.methodName) ?? [];
          body = queue.length > 1 ? queue.shift() : queue[0];
        } else if (request.method === 'GET' && request.url === '/rss/updates.xml') {
          this.calls.push('GET rss');
          body = this.feed;
        }
        if (body === undefined) {
          response.writeHead(404).end();
          return;
        }
        response.writeHead(200, { 'content-type': 'text/xml', 'content-length': body.length }).end(body);
      });
    });
    this.#server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}

const replays: Replay[] = [];
afterEach(async () => {
  for (const replay of replays.splice(0)) await replay.stop();
});

async function replay(): Promise<{ replay: Replay; baseUrl: string }> {
  const server = new Replay();
  replays.push(server);
  return { replay: server, baseUrl: await server.start() };
}

const SINCE_FILES: ReadonlyArray<[file: string, oracle: (json: unknown) => unknown]> = [
  ['changelog_since_serial.swh-lister.2168628-2168647.xml', () => oracle('swh-lister-changelog_since_serial-2168587.json')],
  ['changelog_since_serial.toolchain-oss.7198860-7198867.xml', () => oracle('toolchain-changelog_since_serial_1.json')],
  ['changelog_since_serial.toolchain-oss.7200234-7200242.xml', () => oracle('toolchain-changelog_since_serial_2.json')],
  ['changelog_since_serial.toolchain-oss.long-name.11210338-11210342.xml', () => oracle('toolchain-changelog_with_long_project_name.json')],
  [
    'changelog_since_serial.warehouse-docs-pypi.org.24891358.xml',
    () => (oracle('warehouse-docs-pypi.org.json') as Record<string, unknown>)['changelog_since_serial(24891357)'],
  ],
  [
    'changelog_since_serial.warehouse-docs-test.pypi.org.4601225-4601226.xml',
    () => (oracle('warehouse-docs-test.pypi.org.json') as Record<string, unknown>)['changelog_since_serial(4601224)'],
  ],
  ['changelog_since_serial.empty.xml', () => []],
];

/**
 * What each action in these files means for building, written out by hand from warehouse's journal
 * (not derived from the code under test). Anything not listed here fails the test below.
 */
const EXPECTED_ACTIONS: Readonly<Record<string, { action: ReleaseEvent['action']; reason?: string } | 'ignored'>> = {
  'new release': { action: 'new' },
  'add source file property-manager-2.0.tar.gz': { action: 'sdist' },
  'add source file property-manager-2.1.tar.gz': { action: 'sdist' },
  'add source file kafka-utils-0.2.0.tar.gz': { action: 'sdist' },
  'add source file django_sphinxsearch-0.4.0.tar.gz': { action: 'sdist' },
  'add source file coala-bears-0.3.0.dev20160615134909.tar.gz': { action: 'sdist' },
  'add source file hippounit-1.3.4.tar.gz': { action: 'sdist' },
  'add source file todo-placeholder-1.0.1.tar.gz': { action: 'sdist' },
  'add source file todo-placeholder-1.0.0.tar.gz': { action: 'sdist' },
  'add py3 file coala_bears-0.3.0.dev20160615134909-py3-none-any.whl': { action: 'file' },
  'add py2 file hippounit-1.3.4-py2-none-any.whl': { action: 'file' },
  'add 3.7 file PythonSLM-0.1-py3.7-linux-x86_64.egg': { action: 'file' },
  'add py3 file todo_placeholder-1.0.1-py3-none-any.whl': { action: 'file' },
  'add py2.py3 file opencensus_ext_zenoss-0.0.1-py2.py3-none-any.whl': { action: 'file' },
  'add py2 file todo_placeholder-1.0.0-py3-none-any.whl': { action: 'file' },
  'add py3 file openllm-0.4.33.dev3-py3-none-any.whl': { action: 'file' },
  'remove project': { action: 'withdrawn', reason: 'removed' },
  'remove release': { action: 'withdrawn', reason: 'removed' },
  'add Owner DoublePlusAwks': 'ignored',
  'add Owner lukeparry': 'ignored',
  'add Owner chet.luther': 'ignored',
  'add Owner prav10194': 'ignored',
  create: 'ignored',
  'update classifiers': 'ignored',
  'update author_email, home_page, summary, description': 'ignored',
  'update summary, description, classifiers': 'ignored',
  'remove file UFx-1.0.tar.gz': 'ignored',
  'remove file MetaStalk-2.2.0.linux-x86_64.tar.gz': 'ignored',
  'remove file MetaStalk-2.2.0-py3-none-any.whl': 'ignored',
};

describe('real XML-RPC changelog pages', () => {
  test.each(SINCE_FILES)('%s decodes entry by entry to what CPython decoded', (file, expected) => {
    const decoded = decodeMethodResponse(bytes(`xmlrpc/${file}`).toString('utf8'), 'changelog_since_serial');
    const want = expected(undefined) as Entry[];
    expect(Array.isArray(decoded)).toBe(true);
    expect((decoded as unknown[]).length).toBe(want.length);
    want.forEach((entry, index) => expect((decoded as unknown[])[index], `entry ${index}`).toEqual(entry));
  });

  test('the captured changelog_last_serial bodies decode to the recorded serials', () => {
    expect(decodeMethodResponse(bytes('xmlrpc/changelog_last_serial.warehouse-docs-pypi.org.xml').toString('utf8'), 'm')).toBe(24891357);
    expect(decodeMethodResponse(bytes('xmlrpc/changelog_last_serial.warehouse-docs-test.pypi.org.xml').toString('utf8'), 'm')).toBe(
      4601224,
    );
  });

  test('the long project name and <nil/> versions come through intact', () => {
    const decoded = decodeMethodResponse(
      bytes('xmlrpc/changelog_since_serial.toolchain-oss.long-name.11210338-11210342.xml').toString('utf8'),
      'm',
    ) as Entry[];
    // PROVENANCE.md calls it 281 characters; CPython's decoding (the oracle) and ours both count 280.
    expect(decoded[0]![0]).toHaveLength((oracle('toolchain-changelog_with_long_project_name.json') as Entry[])[0]![0].length);
    expect(decoded[0]![0]).toHaveLength(280);
    expect(decoded.slice(0, 2).map((entry) => entry[1])).toEqual([null, null]);
  });

  test.each(SINCE_FILES.filter(([file]) => !file.includes('empty')))(
    '%s through ChangelogSource: every event, action and serial',
    async (file, expected) => {
      const want = expected(undefined) as Entry[];
      const first = want[0]![4];
      const last = want.at(-1)![4];
      const { replay: server, baseUrl } = await replay();
      // The serial the capture was asked with is not recorded: first − 1. The head is its last serial.
      server.rpc.set('changelog_last_serial', [Buffer.from(encodeMethodResponse(last))]);
      server.rpc.set('changelog_since_serial', [bytes(`xmlrpc/${file}`), bytes('xmlrpc/changelog_since_serial.empty.xml')]);
      const source = createReleaseSource({ type: 'changelog', baseUrl, pauseMs: 0 });
      const result = await source.fetchSince({ serial: first - 1 });
      const expectedEvents = want.flatMap(([name, version, timestamp, action, serial]): ReleaseEvent[] => {
        const meaning = EXPECTED_ACTIONS[action];
        if (meaning === undefined) throw new Error(`no expectation written for action "${action}"`);
        if (meaning === 'ignored') return [];
        return [
          {
            name,
            version: version ?? '',
            timestamp,
            action: meaning.action,
            ...(meaning.reason ? { reason: meaning.reason as 'removed' } : {}),
            serial,
          },
        ];
      });
      expect(result.events).toEqual(expectedEvents);
      expect(result).toMatchObject({ cursor: { serial: last }, headCursorLag: 0, pages: 1, rejected: [], gap: false });
      expect(server.calls).toEqual(['changelog_last_serial()', `changelog_since_serial(${first - 1})`]);
    },
  );

  test('the swh page keeps its backwards timestamp (serials order, not time)', async () => {
    const { replay: server, baseUrl } = await replay();
    server.rpc.set('changelog_last_serial', [Buffer.from(encodeMethodResponse(2168647))]);
    server.rpc.set('changelog_since_serial', [bytes('xmlrpc/changelog_since_serial.swh-lister.2168628-2168647.xml')]);
    const result = await createReleaseSource({ type: 'changelog', baseUrl, pauseMs: 0 }).fetchSince({ serial: 2168627 });
    expect(result.events[0]).toEqual({ name: 'wordsmith', version: '0.1', timestamp: 1465998123, action: 'new', serial: 2168629 });
    expect(result.cursor.serial).toBe(2168647);
  });

  test.each([
    [
      'pypi.org',
      'changelog_last_serial.warehouse-docs-pypi.org.xml',
      'changelog_since_serial.warehouse-docs-pypi.org.24891358.xml',
      24891357,
    ],
    [
      'test.pypi.org',
      'changelog_last_serial.warehouse-docs-test.pypi.org.xml',
      'changelog_since_serial.warehouse-docs-test.pypi.org.4601225-4601226.xml',
      4601224,
    ],
  ])(
    'the %s session in warehouse’s docs: a first run sets the cursor, the next fetch reads the page',
    async (_host, lastFile, sinceFile, head) => {
      const { replay: server, baseUrl } = await replay();
      server.rpc.set('changelog_last_serial', [bytes(`xmlrpc/${lastFile}`)]);
      server.rpc.set('changelog_since_serial', [bytes(`xmlrpc/${sinceFile}`)]);
      const source = createReleaseSource({ type: 'changelog', baseUrl, pauseMs: 0 });
      const { cursor } = await source.fetchSince(undefined);
      expect(cursor).toEqual({ serial: head });
      // In the real session the entry landed after changelog_last_serial; by the next poll the head has moved.
      const want = (
        oracle(head === 24891357 ? 'warehouse-docs-pypi.org.json' : 'warehouse-docs-test.pypi.org.json') as Record<string, Entry[]>
      )[`changelog_since_serial(${head})`]!;
      server.rpc.set('changelog_last_serial', [Buffer.from(encodeMethodResponse(want.at(-1)![4]))]);
      const result = await source.fetchSince(cursor);
      expect(result.events.map((event) => [event.name, event.version, event.action, event.serial])).toEqual(
        head === 24891357
          ? [['py-pcapplusplus', '1.0.0', 'withdrawn', 24891358]]
          : [
              ['openllm', '0.4.33.dev3', 'new', 4601225],
              ['openllm', '0.4.33.dev3', 'file', 4601226],
            ],
      );
    },
  );
});

describe('real XML-RPC faults', () => {
  test.each([
    ['fault.-32403.service-unavailable.xml', -32403, 'server error; service unavailable'],
    ['fault.-32601.method-not-found.xml', -32601, 'server error; requested method not found'],
    [
      'fault.-32500.RuntimeError-xmlrpc-disabled.xml',
      -32500,
      "RuntimeError: PyPI's XMLRPC API has been temporarily disabled due to unmanageable load and will be deprecated in the near " +
        'future. See https://status.python.org/ for more information.',
    ],
  ])('%s fails the fetch at once with XmlRpcFaultError %i', async (file, code, message) => {
    const { replay: server, baseUrl } = await replay();
    server.rpc.set('changelog_last_serial', [bytes(`xmlrpc/${file}`)]);
    const error = await createReleaseSource({ type: 'changelog', baseUrl, rateLimitBackoffMs: 1 })
      .fetchSince(undefined)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(XmlRpcFaultError);
    expect(error).toMatchObject({ faultCode: code, faultString: message });
    expect(server.calls).toHaveLength(1); // not a rate limit: no retry
  });

  test('the -32500 HTTPTooManyRequests fault is a rate limit: backed off for the second PyPI names, then retried', async () => {
    const { replay: server, baseUrl } = await replay();
    server.rpc.set('changelog_last_serial', [
      bytes('xmlrpc/fault.-32500.HTTPTooManyRequests.xml'),
      bytes('xmlrpc/changelog_last_serial.warehouse-docs-pypi.org.xml'),
    ]);
    const logs: Record<string, unknown>[] = [];
    const logger = pino({}, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
    const started = Date.now();
    const result = await createReleaseSource({ type: 'changelog', baseUrl, rateLimitBackoffMs: 10, logger }).fetchSince(undefined);
    expect(result.cursor).toEqual({ serial: 24891357 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950); // "Limit may reset in 1 seconds"
    expect(logs).toContainEqual(expect.objectContaining({ level: 40, delayMs: 1000, msg: 'PyPI XML-RPC rate limit, backing off' }));
    expect(server.calls).toEqual(['changelog_last_serial()', 'changelog_last_serial()']);
  });
});

/** The oracle for a feed: titles and pubDates straight from the text, newest first. */
function feedItems(file: string): Array<{ title: string; time: number }> {
  const text = bytes(`rss/${file}`).toString('utf8');
  const items = [...text.matchAll(/<item>([\s\S]*?)<\/item>/g)].map((match) => match[1]!);
  return items.map((item) => ({
    title: /<title>([^<]*)<\/title>/.exec(item)![1]!.replace(/&#39;/g, "'").replace(/&#34;/g, '"').replace(/&amp;/g, '&'),
    time: Date.parse(/<pubDate>([^<]*)<\/pubDate>/.exec(item)![1]!) / 1000,
  }));
}

describe('real RSS feeds', () => {
  const UPDATES = readdirSync(fileURLToPath(new URL('rss/', `file://${DATA}`))).filter((file) => file.startsWith('updates.'));

  test('every captured feed is here', () => {
    expect(UPDATES.sort()).toEqual([
      'updates.pypi.org.2019-01-09.fabric8-new.xml',
      'updates.pypi.org.2019-01-09.fabric8-old.xml',
      'updates.pypi.python.org-legacy.2016-05-15.strazar.xml',
      'updates.rendered-by-warehouse-HEAD-templates.45-real-releases.xml',
    ]);
  });

  test.each(UPDATES)('%s: every item comes through RssSource with its name, version and date', async (file) => {
    const { replay: server, baseUrl } = await replay();
    server.feed = bytes(`rss/${file}`);
    const want = feedItems(file);
    expect(want.length).toBeGreaterThan(0);
    const result = await createReleaseSource({ type: 'rss', baseUrl }).fetchSince({ time: 0, namesAtTime: [] });
    expect(result.rejected).toEqual([]);
    // Oldest first; items of one second keep their feed order reversed.
    const oldestFirst = [...want].reverse().sort((a, b) => a.time - b.time);
    expect(result.events.map((event) => [`${event.name} ${event.version}`, event.timestamp, event.action])).toEqual(
      oldestFirst.map((item) => [item.title, item.time, 'new']),
    );
    expect(result.cursor.time).toBe(Math.max(...want.map((item) => item.time)));
    expect(server.calls).toEqual(['GET rss']);
  });

  test('the legacy 2016 feed: 40 items, dates without weekday, the Chinese description does not disturb', async () => {
    const { replay: server, baseUrl } = await replay();
    server.feed = bytes('rss/updates.pypi.python.org-legacy.2016-05-15.strazar.xml');
    const result = await createReleaseSource({ type: 'rss', baseUrl }).fetchSince({ time: 0, namesAtTime: [] });
    expect(result.events).toHaveLength(40);
    expect(result.events.at(-1)).toEqual({
      name: 'gitvtag',
      version: '0.1',
      timestamp: Date.UTC(2016, 4, 15, 4, 51, 28) / 1000,
      action: 'new',
    });
    expect(result.events.map((event) => event.name)).toContain('pyKevo');
  });

  test('the two 2019 captures in a row: the newer one brings exactly its one new release, no gap', async () => {
    const { replay: server, baseUrl } = await replay();
    const source = createReleaseSource({ type: 'rss', baseUrl });
    server.feed = bytes('rss/updates.pypi.org.2019-01-09.fabric8-old.xml');
    const { cursor } = await source.fetchSince(undefined);
    expect(cursor).toMatchObject({ time: Date.UTC(2019, 0, 9, 6, 30, 50) / 1000, namesAtTime: ['rabird.qt 0.2.7'] });
    server.feed = bytes('rss/updates.pypi.org.2019-01-09.fabric8-new.xml');
    const result = await source.fetchSince(cursor);
    expect(result.events).toEqual([
      { name: 'bss-python', version: '0.0.1', timestamp: Date.UTC(2019, 0, 9, 6, 31, 47) / 1000, action: 'new' },
    ]);
    expect(result.gap).toBe(false);
  });

  test('the newest-projects feed (packages.xml): every "X added to PyPI" item is rejected as not a release', async () => {
    const { replay: server, baseUrl } = await replay();
    server.feed = bytes('rss/packages.pypi.org.2025-01-17.pypiwrap.xml');
    const result = await createReleaseSource({ type: 'rss', baseUrl }).fetchSince({ time: 0, namesAtTime: [] });
    expect(result.events).toEqual([]);
    expect(result.rejected).toHaveLength(5);
    for (const entry of result.rejected) expect(entry.reason).toMatch(/newest-projects feed \(rss\/packages\.xml\), not a release/);
    expect(result.rejected[0]!.raw).toContain('david-cointegration-package added to PyPI');
  });
});
