// The dashboard: the operator console (overview, report, why), Bull Board over every queue, /healthz and
// /metrics, behind basic auth when a password is set.

export { startDashboard, type RunningDashboard } from './start-dashboard.js';
export { createDashboardApp, BOARD_PATH, type DashboardAppOptions } from './create-dashboard-app.js';
export { checkHealth, type HealthCheck, type HealthCheckOptions, type HealthyReport, type UnhealthyReport } from './health-route.js';
export { createDashboardMetrics, GAUGED_STATES, type DashboardMetrics, type DashboardMetricsOptions } from './metrics-registry.js';
export { assertDashboardExposure, isLoopbackHost } from './dashboard-exposure.js';
export { basicAuth, safeEqual, parseBasicAuthorization, type BasicAuthOptions } from './basic-auth.js';
