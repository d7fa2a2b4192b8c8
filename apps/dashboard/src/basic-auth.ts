// HTTP basic auth for the dashboard, compared in constant time, with failed logins throttled per client.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { Logger } from '@pypi-watch/core';
import type { RequestHandler } from 'express';
import { clientKey, LoginThrottle, type LoginThrottleOptions } from './login-throttle.js';

export interface BasicAuthOptions {
  /** The one user name accepted (`dashboard.user`). */
  readonly user: string;
  /** Its password (`DASHBOARD_PASSWORD`). */
  readonly password: string;
  /** Shown by browsers in the login prompt. @defaultValue 'pypi-watch' */
  readonly realm?: string;
  /** Refused attempts are summed up here, one line per throttle window (never what was typed). */
  readonly logger?: Logger;
  /** How many failed logins a client may make, and per how long. @defaultValue 10 a minute */
  readonly throttle?: Omit<LoginThrottleOptions, 'logger'>;
}

/** The user and password of an `Authorization: Basic …` header, or undefined when there is none. */
export function parseBasicAuthorization(header: string | undefined): { user: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=._~-]+)\s*$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Equal strings in constant time: both sides are hashed first, so neither the content nor the
 * length of the expected value shows in the response time.
 */
export function safeEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

export function basicAuth(options: BasicAuthOptions): RequestHandler {
  const challenge = `Basic realm="${(options.realm ?? 'pypi-watch').replace(/"/g, '')}", charset="UTF-8"`;
  const throttle = new LoginThrottle({ ...options.throttle, ...(options.logger ? { logger: options.logger } : {}) });
  return (req, res, next) => {
    const credentials = parseBasicAuthorization(req.headers.authorization);
    if (credentials) {
      const client = clientKey(req.socket.remoteAddress);
      // Refused before the comparison, so a client past its limit learns nothing from further guesses.
      const wait = throttle.retryAfterSeconds(client);
      if (wait > 0) {
        res.set('Retry-After', String(wait)).status(429).type('text/plain').send(`too many failed logins: retry in ${wait} s\n`);
        return;
      }
      // Both comparisons always run, so a right user name with a wrong password takes no longer to refuse.
      const userOk = safeEqual(credentials.user, options.user);
      const passwordOk = safeEqual(credentials.password, options.password);
      if (userOk && passwordOk) {
        next();
        return;
      }
      throttle.recordFailure(client);
    }
    res.set('WWW-Authenticate', challenge).status(401).type('text/plain').send('authentication required\n');
  };
}
