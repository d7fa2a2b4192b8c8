// A stand-in PyPI on 127.0.0.1: the XML-RPC changelog and the RSS feed over one in-memory release stream,
// with failures to inject. Shared by the source, poll, chaos and benchmark tests.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeMethodCall, encodeFault, encodeMethodResponse, type XmlRpcValue } from '../../src/sources/xml-rpc.js';

export interface FakeRelease {
  readonly name: string;
  readonly version: string;
  /** Unix seconds. @defaultValue one second after the previous event */
  readonly timestamp?: number;
  /** A changelog action. @defaultValue `new release` */
  readonly action?: string;
}

export type FailureKind = '429' | '500' | 'reset' | 'stall' | 'truncated' | 'huge' | 'fault' | 'rate-fault';

export interface FakeRequest {
  readonly method: string;
  /** Path and query, e.g. `/rss/updates.xml?before=1775000100`. */
  readonly path: string;
  readonly body?: string;
}

interface StoredEvent {
  readonly serial: number;
  readonly name: string;
  readonly version: string;
  readonly timestamp: number;
  readonly action: string;
  /** Sent as-is instead of the entry/item built from the fields above. */
  readonly rawChangelog?: XmlRpcValue;
  readonly rawRssItem?: string;
}

interface Reply {
  readonly status: number;
  readonly body: string;
  readonly headers?: Record<string, string>;
}

const FAULT_KINDS: ReadonlySet<FailureKind> = new Set(['fault', 'rate-fault']);

export class FakePypi {
  readonly requests: FakeRequest[] = [];
  /** Seconds sent in the Retry-After header of an injected 429. */
  retryAfterSeconds = 1;
  #events: StoredEvent[] = [];
  #rssNewestFirst: StoredEvent[] | undefined;
  #serial = 1000;
  #clock = 1_775_000_000; // Apr 2026, so generated dates look like PyPI's
  #changelogPageSize = 50_000;
  readonly #rssPageSize = 100;
  #failures: FailureKind[] = [];
  #server: Server | undefined;
  #baseUrl = '';

  get lastSerial(): number {
    return this.#serial;
  }

  async start(): Promise<string> {
    const server = createServer((request, response) => void this.#handle(request, response));
    this.#server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.#baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.#baseUrl;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    // Stalled and streaming responses would otherwise keep close() waiting forever.
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    this.#server = undefined;
  }

  publish(releases: readonly FakeRelease[]): void {
    for (const release of releases) {
      this.#add({ name: release.name, version: release.version, action: release.action ?? 'new release' }, release.timestamp);
    }
  }

  /** Publishes `count` new releases named `<prefix>-<serial>`, `sameSecond` of them per second; returns them. */
  publishGenerated(count: number, options: { sameSecond?: number; startTime?: number; prefix?: string } = {}): FakeRelease[] {
    const sameSecond = options.sameSecond ?? 1;
    const startTime = options.startTime ?? this.#clock + 1;
    const releases: FakeRelease[] = [];
    for (let index = 0; index < count; index++) {
      const release = {
        name: `${options.prefix ?? 'pkg'}-${this.#serial + 1}`,
        version: `1.0.${index}`,
        timestamp: startTime + Math.floor(index / sameSecond),
      };
      this.publish([release]);
      releases.push(release);
    }
    return releases;
  }

  /** Adds one broken entry: `changelog` is sent as the whole changelog entry, `rssItem` as a raw `<item>…</item>`. */
  publishMalformed(raw: { changelog?: XmlRpcValue; rssItem?: string }): void {
    this.#add(
      {
        name: '',
        version: '',
        action: 'new release',
        ...(raw.changelog === undefined ? {} : { rawChangelog: raw.changelog }),
        ...(raw.rssItem === undefined ? {} : { rawRssItem: raw.rssItem }),
      },
      undefined,
    );
  }

  setChangelogPageSize(size: number): void {
    this.#changelogPageSize = size;
  }

  /** The next `times` requests fail this way; fault kinds wait for the next XML-RPC call. */
  failNext(kind: FailureKind, times = 1): void {
    for (let index = 0; index < times; index++) this.#failures.push(kind);
  }

  #add(fields: Omit<StoredEvent, 'serial' | 'timestamp'>, timestamp: number | undefined): void {
    const time = timestamp ?? this.#clock + 1;
    this.#clock = Math.max(this.#clock, time);
    this.#events.push({ ...fields, serial: ++this.#serial, timestamp: time });
    this.#rssNewestFirst = undefined;
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(request.url ?? '/', this.#baseUrl);
    this.requests.push({ method: request.method ?? '', path: url.pathname + url.search, ...(body === '' ? {} : { body }) });
    const isRpc = request.method === 'POST' && url.pathname === '/pypi';
    const failureIndex = this.#failures.findIndex((kind) => isRpc || !FAULT_KINDS.has(kind));
    const failure = failureIndex === -1 ? undefined : this.#failures.splice(failureIndex, 1)[0];

    let reply: Reply;
    if (isRpc) reply = this.#xmlRpc(body);
    else if (request.method === 'GET' && url.pathname === '/rss/updates.xml') reply = this.#rss(url.searchParams.get('before'));
    else reply = { status: 404, body: 'not found' };

    switch (failure) {
      case undefined:
        return send(response, reply);
      case '429':
        return send(response, { status: 429, body: 'Too Many Requests', headers: { 'retry-after': String(this.retryAfterSeconds) } });
      case '500':
        return send(response, { status: 500, body: 'Internal Server Error' });
      case 'reset':
        request.socket.destroy();
        return;
      case 'stall':
        return; // never answers; stop() closes the connection
      case 'truncated':
        return send(response, { ...reply, body: reply.body.slice(0, Math.floor(reply.body.length / 2)) });
      case 'huge':
        return streamHuge(response);
      case 'fault':
        return send(response, { status: 200, body: encodeFault(1, 'fake fault') });
      case 'rate-fault':
        return send(response, {
          status: 200,
          body: encodeFault(-32500, 'HTTPTooManyRequests: The action could not be performed because there were too many requests by the client. Limit may reset in 1 seconds.'),
        });
    }
  }

  #xmlRpc(body: string): Reply {
    let call;
    try {
      call = decodeMethodCall(body);
    } catch (error) {
      return { status: 400, body: `bad XML-RPC call: ${String(error)}` };
    }
    if (call.methodName === 'changelog_last_serial') return { status: 200, body: encodeMethodResponse(this.#serial) };
    if (call.methodName !== 'changelog_since_serial' || typeof call.params[0] !== 'number') {
      return { status: 200, body: encodeFault(1, `unsupported call ${call.methodName}`) };
    }
    const since = call.params[0];
    const entries: XmlRpcValue[] = [];
    for (let index = firstAbove(this.#events, since); index < this.#events.length; index++) {
      if (entries.length >= this.#changelogPageSize) break;
      const event = this.#events[index]!;
      if (event.rawRssItem !== undefined && event.rawChangelog === undefined) continue;
      // PyPI has no version for a removed project: Python's None, <nil/> on the wire.
      const version = event.action === 'remove project' && event.version === '' ? null : event.version;
      entries.push(event.rawChangelog ?? [event.name, version, event.timestamp, event.action, event.serial]);
    }
    return { status: 200, body: encodeMethodResponse(entries) };
  }

  #rss(beforeParam: string | null): Reply {
    const before = beforeParam === null ? Number.POSITIVE_INFINITY : Number(beforeParam);
    this.#rssNewestFirst ??= this.#events
      .filter((event) => event.rawRssItem !== undefined || (event.action === 'new release' && event.rawChangelog === undefined))
      .sort((a, b) => b.timestamp - a.timestamp || b.serial - a.serial);
    const items = this.#rssNewestFirst
      .filter((event) => event.timestamp < before)
      .slice(0, this.#rssPageSize)
      .map((event) => event.rawRssItem ?? this.#rssItem(event));
    const body =
      '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>PyPI recent updates</title>' +
      `<link>${this.#baseUrl}/</link><description>Recent updates to the Python Package Index</description>` +
      `<language>en</language>\n${items.join('\n')}\n</channel></rss>\n`;
    return { status: 200, body, headers: { 'content-type': 'text/xml; charset=utf-8' } };
  }

  #rssItem(event: StoredEvent): string {
    const name = escapeXml(event.name);
    const version = escapeXml(event.version);
    return (
      `<item><title>${name} ${version}</title><link>${this.#baseUrl}/project/${name}/${version}/</link>` +
      `<description>${name} ${version} release</description><pubDate>${new Date(event.timestamp * 1000).toUTCString()}</pubDate></item>`
    );
  }
}

/** Index of the first event whose serial is above `serial` (events are in serial order). */
function firstAbove(events: readonly StoredEvent[], serial: number): number {
  let low = 0;
  let high = events.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (events[middle]!.serial <= serial) low = middle + 1;
    else high = middle;
  }
  return low;
}

function send(response: ServerResponse, reply: Reply): void {
  const body = Buffer.from(reply.body, 'utf8');
  response.writeHead(reply.status, { 'content-type': 'text/xml', 'content-length': body.length, ...reply.headers });
  response.end(body);
}

/** 64 MiB with no Content-Length, written as the client reads, so a client that stops reading stops it. */
function streamHuge(response: ServerResponse): void {
  response.writeHead(200, { 'content-type': 'text/xml' });
  const chunk = Buffer.alloc(64 * 1024, ' ');
  let remaining = 1024;
  const write = (): void => {
    while (remaining > 0 && !response.destroyed) {
      remaining--;
      if (!response.write(chunk)) {
        response.once('drain', write);
        return;
      }
    }
    response.end();
  };
  response.write('<?xml version="1.0"?>\n<methodResponse>');
  write();
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"]/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[char] ?? char);
}
