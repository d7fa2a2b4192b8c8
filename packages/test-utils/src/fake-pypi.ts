// A stand-in PyPI on 127.0.0.1: the XML-RPC changelog, the RSS feed and the JSON API over one in-memory
// journal that speaks as warehouse does (file events, yanks, quarantines, <nil/> versions), with
// failures to inject. Shared by the source, poll, chaos and benchmark tests.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeMethodCall, encodeFault, encodeMethodResponse, type XmlRpcValue } from './fake-xml-rpc.js';
import { normalizeName, releaseJson, replayProject, rssDocument, rssItem, type JournalEvent } from './fake-pypi-json.js';

/** The files an upload carries, in upload order: `sdist` is `NAME-VERSION.tar.gz`, `bdist_wheel` a py3 wheel. */
export type FakeFileKind = 'sdist' | 'bdist_wheel';

export interface FakeRelease {
  readonly name: string;
  readonly version: string;
  /** Unix seconds. @defaultValue one second after the previous event */
  readonly timestamp?: number;
  /**
   * One changelog action, sent as the only event (e.g. `yank release`, `remove project` with version
   * `''` for a `<nil/>` version). Without it, an upload: `new release` plus one `add … file` per `files`.
   */
  readonly action?: string;
  /** Files of the upload, in order, all at the release's timestamp. @defaultValue `['sdist']` */
  readonly files?: readonly FakeFileKind[];
}

export interface FakeEventOptions {
  /** Unix seconds. @defaultValue one second after the previous event */
  readonly timestamp?: number;
}

export type FailureKind = '429' | '500' | 'reset' | 'stall' | 'truncated' | 'huge' | 'fault' | 'rate-fault';

export interface FakeRequest {
  readonly method: string;
  /** Path and query, e.g. `/rss/updates.xml` or `/pypi/foo/1.0/json`. */
  readonly path: string;
  readonly body?: string;
}

interface StoredEvent extends JournalEvent {
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

// Journal actions about a whole project: warehouse records them without a version (None, <nil/>).
const PROJECT_ACTIONS = new Set(['create', 'remove project', 'project quarantined', 'project quarantine cleared']);
const ROLE_ACTION = /^(add|remove|invite|accepted|change) \S+ \S+$/;
const RSS_ITEMS = 100;

export class FakePypi {
  readonly requests: FakeRequest[] = [];
  /** Seconds sent in the Retry-After header of an injected 429. */
  retryAfterSeconds = 1;
  #events: StoredEvent[] = [];
  #rssNewestFirst: StoredEvent[] | undefined;
  /** Each project's events (by normalized name), for the JSON API. */
  readonly #byProject = new Map<string, StoredEvent[]>();
  /** Normalized name → the project serial its JSON pages are frozen at (a stale CDN copy). */
  readonly #jsonStaleAt = new Map<string, number>();
  readonly #yankReasons = new Map<number, string>();
  #serial = 1000;
  // Two days ago: recent enough for the sdist gate (filters.sdistWait counts from a release's time),
  // with room for 170,000 one-second-apart releases before dates reach the future.
  #clock = Math.floor(Date.now() / 1000) - 2 * 86_400;
  #changelogPageSize = 50_000;
  #failures: FailureKind[] = [];
  #server: Server | undefined;
  #baseUrl = '';

  /** `http://127.0.0.1:PORT` once started (what start() returned), `''` before. */
  get baseUrl(): string {
    return this.#baseUrl;
  }

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
      if (release.action !== undefined) {
        this.#add({ name: release.name, version: wireVersion(release.action, release.version), action: release.action }, release.timestamp);
        continue;
      }
      // warehouse writes `new release` in the request of the release's first file, then that file.
      const time = release.timestamp ?? this.#clock + 1;
      this.#add({ name: release.name, version: release.version, action: 'new release' }, time);
      for (const kind of release.files ?? ['sdist']) this.#addFileEvent(release.name, release.version, kind, time);
    }
  }

  /**
   * Publishes `count` new releases named `<prefix>-<serial>` (the serial of their `new release`),
   * `sameSecond` of them per second, each with `files` (default: an sdist, so 2 events a release); returns them.
   */
  publishGenerated(
    count: number,
    options: { sameSecond?: number; startTime?: number; prefix?: string; files?: readonly FakeFileKind[] } = {},
  ): FakeRelease[] {
    const sameSecond = options.sameSecond ?? 1;
    const startTime = options.startTime ?? this.#clock + 1;
    const releases: FakeRelease[] = [];
    for (let index = 0; index < count; index++) {
      const release = {
        name: `${options.prefix ?? 'pkg'}-${this.#serial + 1}`,
        version: `1.0.${index}`,
        timestamp: startTime + Math.floor(index / sameSecond),
      };
      this.publish([{ ...release, ...(options.files === undefined ? {} : { files: options.files }) }]);
      releases.push(release);
    }
    return releases;
  }

  /** A later file for an existing release (`add source file …` / `add py3 file …`). */
  addFile(name: string, version: string, kind: FakeFileKind, options: FakeEventOptions = {}): void {
    this.#addFileEvent(name, version, kind, options.timestamp);
  }

  removeFile(name: string, version: string, filename: string, options: FakeEventOptions = {}): void {
    this.#add({ name, version, action: `remove file ${filename}` }, options.timestamp);
  }

  /** `yank release`; the reason shows as `yanked_reason` in the JSON API only (the journal has none). */
  yank(name: string, version: string, options: FakeEventOptions & { reason?: string } = {}): void {
    this.#add({ name, version, action: 'yank release' }, options.timestamp);
    if (options.reason !== undefined) this.#yankReasons.set(this.#serial, options.reason);
  }

  unyank(name: string, version: string, options: FakeEventOptions = {}): void {
    this.#add({ name, version, action: 'unyank release' }, options.timestamp);
  }

  removeRelease(name: string, version: string, options: FakeEventOptions = {}): void {
    this.#add({ name, version, action: 'remove release' }, options.timestamp);
  }

  removeProject(name: string, options: FakeEventOptions = {}): void {
    this.#add({ name, version: null, action: 'remove project' }, options.timestamp);
  }

  quarantineRelease(name: string, version: string, options: FakeEventOptions = {}): void {
    this.#add({ name, version, action: 'release quarantined' }, options.timestamp);
  }

  clearReleaseQuarantine(name: string, version: string, options: FakeEventOptions = {}): void {
    this.#add({ name, version, action: 'release quarantine cleared' }, options.timestamp);
  }

  quarantineProject(name: string, options: FakeEventOptions = {}): void {
    this.#add({ name, version: null, action: 'project quarantined' }, options.timestamp);
  }

  clearProjectQuarantine(name: string, options: FakeEventOptions = {}): void {
    this.#add({ name, version: null, action: 'project quarantine cleared' }, options.timestamp);
  }

  /**
   * While stale, the project's JSON pages stay as they are now (events after this are not on them,
   * and `X-PyPI-Last-Serial` stays at today's project serial), like a CDN copy that has not revalidated.
   */
  setJsonStale(name: string, stale: boolean): void {
    const key = normalizeName(name);
    if (!stale) this.#jsonStaleAt.delete(key);
    else if (!this.#jsonStaleAt.has(key)) this.#jsonStaleAt.set(key, this.#byProject.get(key)?.at(-1)?.serial ?? 0);
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

  #addFileEvent(name: string, version: string, kind: FakeFileKind, timestamp: number | undefined): void {
    const filename = kind === 'sdist' ? `${name}-${version}.tar.gz` : `${name.replace(/[-_.]+/g, '_')}-${version}-py3-none-any.whl`;
    this.#add({ name, version, action: `add ${kind === 'sdist' ? 'source' : 'py3'} file ${filename}` }, timestamp);
  }

  #add(fields: Omit<StoredEvent, 'serial' | 'timestamp'>, timestamp: number | undefined): void {
    const time = timestamp ?? this.#clock + 1;
    this.#clock = Math.max(this.#clock, time);
    const event: StoredEvent = { ...fields, serial: ++this.#serial, timestamp: time };
    this.#events.push(event);
    if (fields.rawChangelog === undefined && fields.rawRssItem === undefined) {
      const key = normalizeName(fields.name);
      let list = this.#byProject.get(key);
      if (!list) this.#byProject.set(key, (list = []));
      list.push(event);
    }
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
    // Like PyPI, the feed ignores every query parameter (there is no `before=`).
    else if (request.method === 'GET' && url.pathname === '/rss/updates.xml') reply = this.#rss();
    else if (request.method === 'GET' && url.pathname.startsWith('/pypi/')) reply = this.#json(url.pathname);
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
          body: encodeFault(
            -32500,
            'HTTPTooManyRequests: The action could not be performed because there were too many requests by the client. Limit may ' +
              'reset in 1 seconds.',
          ),
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
      // Project-level actions carry no version: Python's None, <nil/> on the wire.
      entries.push(event.rawChangelog ?? [event.name, event.version, event.timestamp, event.action, event.serial]);
    }
    return { status: 200, body: encodeMethodResponse(entries) };
  }

  #rss(): Reply {
    this.#rssNewestFirst ??= this.#feedReleases();
    const items = this.#rssNewestFirst.slice(0, RSS_ITEMS).map((event) => event.rawRssItem ?? rssItem(event, this.#baseUrl));
    return { status: 200, body: rssDocument(items, this.#baseUrl), headers: { 'content-type': 'text/xml; charset=utf-8' } };
  }

  /** Releases that still exist, newest `new release` first (warehouse: `order_by(Release.created.desc())`). */
  #feedReleases(): StoredEvent[] {
    const live = new Map<string, StoredEvent>();
    let raw = 0;
    for (const event of this.#events) {
      if (event.rawRssItem !== undefined) live.set(`raw ${raw++}`, event);
      if (event.rawChangelog !== undefined || event.rawRssItem !== undefined) continue;
      const project = normalizeName(event.name);
      if (event.action === 'new release') live.set(`${project} ${event.version}`, event);
      else if (event.action === 'remove release') live.delete(`${project} ${event.version}`);
      else if (event.action === 'remove project') {
        for (const key of [...live.keys()]) if (key.startsWith(`${project} `)) live.delete(key);
      }
    }
    return [...live.values()].sort((a, b) => b.timestamp - a.timestamp || b.serial - a.serial);
  }

  /**
   * `GET /pypi/NAME/VERSION/json`: 404 for what PyPI does not hold (unknown, removed, project in
   * quarantine), a 301 to the normalized name as warehouse sends, else the release as of the journal
   * so far (or as of setJsonStale). Versions match exactly (PyPI also matches canonical forms).
   */
  #json(pathname: string): Reply {
    const match = /^\/pypi\/([^/]+)\/([^/]+)\/json\/?$/.exec(pathname);
    const notFound: Reply = { status: 404, body: '{"message": "Not Found"}', headers: { 'content-type': 'application/json' } };
    if (!match) return notFound;
    let name: string;
    let version: string;
    try {
      name = decodeURIComponent(match[1]!);
      version = decodeURIComponent(match[2]!);
    } catch {
      return { status: 400, body: 'bad path' };
    }
    const key = normalizeName(name);
    if (name !== key && this.#byProject.has(key)) {
      return { status: 301, body: '', headers: { location: `/pypi/${encodeURIComponent(key)}/${match[2]!}/json` } };
    }
    const staleAt = this.#jsonStaleAt.get(key) ?? Number.POSITIVE_INFINITY;
    const events = (this.#byProject.get(key) ?? []).filter((event) => event.serial <= staleAt);
    const project = replayProject(events, this.#yankReasons);
    const body = project === undefined ? undefined : releaseJson(project, version, this.#baseUrl);
    if (project === undefined || body === undefined) return notFound;
    return {
      status: 200,
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', 'x-pypi-last-serial': String(project.lastSerial) },
    };
  }
}

/** Version as the journal stores it: none (`<nil/>`) for project-level actions given version `''`. */
function wireVersion(action: string, version: string): string | null {
  if (version !== '') return version;
  return PROJECT_ACTIONS.has(action) || (ROLE_ACTION.test(action) && !action.includes(' file ')) ? null : version;
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
