// Answers only requests addressed to this dashboard by name: loopback names and `dashboard.allowedHosts`.
//
// Against DNS rebinding: a page on evil.example can make its own name resolve to 127.0.0.1, and the
// browser then sends it here with `Host: evil.example` (and the cached basic-auth credentials, if
// any). The Host header is the one thing such a request cannot forge, so it is checked first.

import { isIP } from 'node:net';
import type { RequestHandler } from 'express';
import { isLoopbackHost } from './dashboard-exposure.js';

export interface HostCheckOptions {
  /** Host names (no port) answered besides loopback ones, compared case-insensitively (`dashboard.allowedHosts`). @defaultValue [] */
  readonly allowedHosts?: readonly string[];
}

export interface HostHeader {
  /** Lower case, without a trailing dot; an IPv6 address keeps its brackets. */
  readonly hostname: string;
  readonly port: number | undefined;
}

/** The name and port of a `Host` header (or an Origin's host part), or undefined when it is not one. */
export function parseHostHeader(header: string | undefined): HostHeader | undefined {
  // Underscores too: Compose service names may hold them, and browsers send them as they are.
  const match = /^(\[[0-9a-f:.]+\]|[a-z0-9_.-]+)(?::(\d{1,5}))?$/i.exec(header?.trim() ?? '');
  if (!match?.[1]) return undefined;
  const port = match[2] === undefined ? undefined : Number(match[2]);
  if (port !== undefined && port > 65_535) return undefined;
  const hostname = match[1].toLowerCase().replace(/\.$/, '');
  if (hostname === '' || hostname.startsWith('.') || hostname.includes('..')) return undefined;
  return { hostname, port };
}

/**
 * `localhost`, 127.0.0.0/8 and [::1]: names a rebinding page cannot own. Not `*.localhost`: most
 * browsers keep those on loopback, but not every resolver does.
 */
export function isLoopbackName(hostname: string): boolean {
  if (hostname === 'localhost') return true;
  const bare = hostname.replace(/^\[(.*)\]$/, '$1');
  return isIP(bare) !== 0 && isLoopbackHost(bare);
}

/** Whether a request whose Host names `hostname` is addressed to this dashboard. */
export function createHostMatcher(options: HostCheckOptions = {}): (hostname: string) => boolean {
  const allowed = new Set((options.allowedHosts ?? []).map((name) => name.toLowerCase().replace(/\.$/, '')));
  return (hostname) => isLoopbackName(hostname) || allowed.has(hostname);
}

/** Refuses, with 421 Misdirected Request, every request whose Host header is not one of ours. */
export function hostCheck(options: HostCheckOptions = {}): RequestHandler {
  const matches = createHostMatcher(options);
  return (req, res, next) => {
    const host = parseHostHeader(req.headers.host);
    if (host && matches(host.hostname)) {
      next();
      return;
    }
    // The refused name is not echoed: it is the attacker's text, and nobody needs it back.
    res.status(421).type('text/plain').send('misdirected request: this Host is not served here (see dashboard.allowedHosts)\n');
  };
}
