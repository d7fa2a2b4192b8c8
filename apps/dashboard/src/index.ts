// The dashboard HTTP server. Issue 4 brings Bull Board and /metrics; this serves /healthz.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Runtime } from '@pypi-watch/core';

export interface RunningDashboard {
  readonly url: string;
  close(): Promise<void>;
}

export async function startDashboard(runtime: Runtime): Promise<RunningDashboard> {
  const { host, port } = runtime.config.dashboard;
  const server = createServer((req, res) => {
    if (req.url === '/healthz') {
      runtime.redis
        .ping()
        .then(() => {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ redis: 'ok' }));
        })
        .catch(() => {
          res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ redis: 'down' }));
        });
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  runtime.logger.info({ url }, 'dashboard listening');
  return {
    url,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
