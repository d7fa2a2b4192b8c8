// The dashboard's Express app: /healthz open, everything else behind basic auth when a password is set.
//
// In front of every route, with or without a password: security headers, the Host check (DNS
// rebinding) and the cross-site check (CSRF). /healthz is behind the Host check too: Compose's
// health check asks 127.0.0.1, and a peer that asks by service name lists it in allowedHosts.

import type { Runtime } from '@pypi-watch/core';
import express, { type ErrorRequestHandler, type Express } from 'express';
import { basicAuth, type BasicAuthOptions } from './basic-auth.js';
import { createBullBoardRouter } from './bull-board-router.js';
import { crossSiteGuard } from './cross-site-guard.js';
import { healthRoute, type HealthCheckOptions } from './health-route.js';
import { hostCheck } from './host-check.js';
import { createDashboardMetrics, type DashboardMetricsOptions } from './metrics-registry.js';
import { reportRoutes } from './report-routes.js';
import { securityHeaders } from './security-headers.js';

/** Where Bull Board is served; `/` redirects there. */
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

  app.use(reportRoutes(runtime));

  // Relative, so it still works behind a reverse proxy that mounts the dashboard under a path.
  app.get('/', (_req, res) => res.redirect(302, `.${BOARD_PATH}/`));
  app.use(
    BOARD_PATH,
    createBullBoardRouter(runtime.queues.all, {
      basePath: BOARD_PATH,
      readOnly: config.dashboard.readOnly,
      links: [
        { text: 'Health (/healthz)', url: '../healthz' },
        { text: 'Build report', url: '../report' },
        { text: 'Why (not) built?', url: '../why' },
        { text: 'Metrics (/metrics)', url: '../metrics' },
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
