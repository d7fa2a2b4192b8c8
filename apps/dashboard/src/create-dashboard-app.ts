// The dashboard's Express app: the console (overview at /, /report, /why), Bull Board at /ui, /metrics,
// /healthz open, everything else behind basic auth when a password is set.
//
// In front of every route, with or without a password: security headers, the Host check (DNS
// rebinding) and the cross-site check (CSRF). /healthz is behind the Host check too: Compose's
// health check asks 127.0.0.1, and a peer that asks by service name lists it in allowedHosts.

import type { Runtime } from '@pypi-watch/core';
import express, { type ErrorRequestHandler, type Express } from 'express';
import { assetRoutes } from './asset-routes.js';
import { basicAuth, type BasicAuthOptions } from './basic-auth.js';
import { createBullBoardRouter } from './bull-board-router.js';
import { crossSiteGuard } from './cross-site-guard.js';
import { healthRoute, type HealthCheckOptions } from './health-route.js';
import { hostCheck } from './host-check.js';
import { createDashboardMetrics, type DashboardMetricsOptions } from './metrics-registry.js';
import { overviewRoutes } from './overview-routes.js';
import { reportRoutes } from './report-routes.js';
import { securityHeaders } from './security-headers.js';

/** Where Bull Board is served; `/` is the console's overview, which links there. */
export const BOARD_PATH = '/ui';

export interface DashboardAppOptions {
  readonly health?: HealthCheckOptions;
  readonly metrics?: DashboardMetricsOptions;
  /** Failed logins a client may make per window before it gets 429. @defaultValue 10 a minute */
  readonly logins?: BasicAuthOptions['throttle'];
}

export function createDashboardApp(runtime: Runtime, options: DashboardAppOptions = {}): Express {
  const { config, logger } = runtime;
  const app = express();
  app.disable('x-powered-by');
  const { allowedHosts } = config.dashboard;
  app.use(securityHeaders());
  app.use(hostCheck({ allowedHosts }));
  app.use(crossSiteGuard({ allowedHosts }));

  // Before the auth check: container health checks and load balancers carry no credentials.
  app.get('/healthz', healthRoute(runtime, options.health));

  const password = config.secrets.dashboardPassword;
  if (password)
    app.use(basicAuth({ user: config.dashboard.user, password, logger, ...(options.logins ? { throttle: options.logins } : {}) }));

  const metrics = createDashboardMetrics(runtime, options.metrics);
  app.get('/metrics', (_req, res) => {
    metrics.render().then(
      (text) => res.status(200).type(metrics.contentType).set('Cache-Control', 'no-store').send(text),
      (err: unknown) => {
        logger.warn({ err }, 'dashboard: could not collect metrics');
        res
          .status(503)
          .type('text/plain')
          .send(`metrics unavailable: ${(err as Error).message}\n`);
      },
    );
  });

  app.use(assetRoutes(logger));
  app.use(reportRoutes(runtime));

  app.use(overviewRoutes(runtime));
  app.use(
    BOARD_PATH,
    createBullBoardRouter(runtime.queues.all, {
      basePath: BOARD_PATH,
      readOnly: config.dashboard.readOnly,
      // The way back to the console: the board's own logo link stays inside the board.
      links: [
        { text: 'Overview', url: '../' },
        { text: 'Builds (report)', url: '../report' },
        { text: 'Why (not) built?', url: '../why' },
        { text: 'Metrics (/metrics)', url: '../metrics' },
        { text: 'Health (/healthz)', url: '../healthz' },
      ],
    }),
  );

  // Express's own 404 would replace the CSP with its bare `default-src 'none'`.
  app.use((_req, res) => {
    res.status(404).type('text/plain').send('not found\n');
  });
  app.use(((err, req, res, _next) => {
    logger.error({ err, path: req.path }, 'dashboard: request failed');
    if (!res.headersSent) res.status(500).type('text/plain').send('internal error\n');
  }) satisfies ErrorRequestHandler);
  return app;
}
