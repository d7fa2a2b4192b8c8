// A local webhook receiver (node:http) for the notification tests: records every request, answers
// as told (a status, a body, headers, a hang), and can go down (connection refused) and come back
// on the same port.

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Defer } from './cleanups-after-each.js';

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The body parsed, or undefined when it is not JSON. */
  readonly json: unknown;
  readonly at: number;
}

export interface ReceiverAnswer {
  readonly status?: number;
  readonly body?: string;
  readonly headers?: Record<string, string>;
  /** Never answer (for timeouts). */
  readonly hang?: boolean;
}

export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  /** How the next requests are answered; 200 with `ok` unless set. */
  answer: (request: ReceivedRequest) => ReceiverAnswer = () => ({ status: 200, body: 'ok' });
  #server: Server | undefined;
  #port = 0;

  get port(): number {
    return this.#port;
  }

  /** `http://127.0.0.1:PORT` + path, e.g. a Feishu-like `/open-apis/bot/v2/hook/<token>`. */
  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.#port}${path}`;
  }

  /** Requests to `path` only. */
  to(path: string): ReceivedRequest[] {
    return this.requests.filter((request) => request.path === path);
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(body) as unknown;
        } catch {
          json = undefined;
        }
        const request: ReceivedRequest = {
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body,
          json,
          at: Date.now(),
        };
        this.requests.push(request);
        const answer = this.answer(request);
        if (answer.hang) return;
        res.writeHead(answer.status ?? 200, { 'content-type': 'text/plain', ...answer.headers });
        res.end(answer.body ?? '');
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => resolve());
    });
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  /** Stops listening: requests get "connection refused" until `start()` again (same port). */
  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** A started receiver; given a `defer` (cleanupsAfterEach), stopped after the test. */
export async function startWebhookReceiver(defer?: Defer): Promise<WebhookReceiver> {
  const receiver = new WebhookReceiver();
  await receiver.start();
  defer?.(() => receiver.stop());
  return receiver;
}
