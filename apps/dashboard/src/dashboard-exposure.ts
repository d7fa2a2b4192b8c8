// Refuses to serve the dashboard without a password anywhere but on a loopback address.

import { BlockList, isIP } from 'node:net';
import { ConfigError, type Config } from '@pypi-watch/core';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6'); // BlockList also matches ::ffff:127.x.x.x against the IPv4 subnet

/** 127.0.0.0/8, ::1 and `localhost`: reachable from this machine only. `0.0.0.0` and `::` are every interface. */
export function isLoopbackHost(host: string): boolean {
  const bare = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  const family = isIP(bare);
  return family !== 0 && LOOPBACK.check(bare, family === 4 ? 'ipv4' : 'ipv6');
}

/** Throws a ConfigError when the dashboard would be reachable from other machines without a password. */
export function assertDashboardExposure(config: Pick<Config, 'dashboard' | 'secrets'>): void {
  const { host } = config.dashboard;
  if (config.secrets.dashboardPassword || isLoopbackHost(host)) return;
  throw new ConfigError(
    `dashboard.host is ${JSON.stringify(host)}, which other machines can reach, and DASHBOARD_PASSWORD is not set: ` +
      'set the DASHBOARD_PASSWORD environment variable (the user is dashboard.user, env DASHBOARD_USER), ' +
      'or set dashboard.host to 127.0.0.1 to serve this machine only',
  );
}
