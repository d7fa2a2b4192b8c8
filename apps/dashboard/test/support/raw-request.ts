// One HTTP request with exactly the headers given, Host included: what fetch() cannot send.

import { request } from 'node:http';

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

export interface RawRequest {
  readonly method?: string;
  readonly path: string;
  /** Sent as given; `host` defaults to the dashboard's own `127.0.0.1:<port>`. */
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** The client address to send from, e.g. 127.0.0.2 to be another client. */
  readonly localAddress?: string;
}

/** Sends `req` to the dashboard at `url` (its listening address), whatever Host it names. */
export function rawRequest(url: string, req: RawRequest): Promise<RawResponse> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: target.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: target.port,
        method: req.method ?? 'GET',
        path: req.path,
        // Node would otherwise add its own Host; an explicit one replaces it verbatim.
        headers: {
          host: target.host,
          ...req.headers,
          ...(req.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(req.body)) }),
        },
        agent: false,
        ...(req.localAddress ? { localAddress: req.localAddress } : {}),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(req.body);
  });
}
