// Starts the dashboard HTTP server on `dashboard.host`/`dashboard.port` (port 0: any free port).

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Runtime } from '@pypi-watch/core';
import { createDashboardApp, type DashboardAppOptions } from './create-dashboard-app.js';
import { assertDashboardExposure, isLoopbackHost } from './dashboard-exposure.js';

export interface RunningDashboard {
  /** e.g. `http://127.0.0.1:3000` (the port actually bound). */
  readonly url: string;
  /** Stops accepting connections, ends idle keep-alive ones, and waits for requests in flight. */
  close(): Promise<void>;
}

/** How long close() lets requests in flight finish before cutting their connections. */
const CLOSE_GRACE_MS = 2000;

export async function startDashboard(runtime: Runtime, options: DashboardAppOptions = {}): Promise<RunningDashboard> {
  const { config, logger } = runtime;
  assertDashboardExposure(config);
  const { host, port } = config.dashboard;
  const server = createServer(createDashboardApp(runtime, options));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => logger.error({ err }, 'dashboard server error'));
  const address = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  const { allowedHosts, readOnly } = config.dashboard;
  logger.info(
    { url, auth: config.secrets.dashboardPassword ? 'basic' : 'none', readOnly, loopback: isLoopbackHost(host), allowedHosts },
    'dashboard listening',
  );
  // A name in allowedHosts means a proxy serves the board to other machines: without a password,
  // only that proxy's own authentication stands in front of retry, add and clean.
  if (allowedHosts.length > 0 && !config.secrets.dashboardPassword) {
    logger.warn(
      { allowedHosts },
      'dashboard: dashboard.allowedHosts is set but DASHBOARD_PASSWORD is not; anyone the proxy lets through can change the queues',
    );
  }

  let closing: Promise<void> | undefined;
  return {
    url,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        // Browsers keep connections open; idle ones would hold close() up until they time out.
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
