// Refuses state-changing requests that a page on another site could have made (CSRF).
//
// Browsers send cached basic-auth credentials with cross-site requests, and a form may POST
// `text/plain` anywhere without a CORS preflight. So a request that changes something must come
// from our own origin (Sec-Fetch-Site, else Origin) and, if it has a body, carry JSON, which a
// cross-site page can only send after a preflight this server never grants.

import type { IncomingHttpHeaders } from 'node:http';
import type { RequestHandler } from 'express';
import { parseHostHeader } from './host-check.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** `same-origin`: our own pages; `none`: typed in the address bar, a bookmark, a non-browser client. */
const OUR_FETCH_SITES = new Set(['same-origin', 'none']);
const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 };

export interface CrossSiteGuardOptions {
  /**
   * Origins whose host name is one of these are ours even when the Host header differs, as behind
   * a reverse proxy that rewrites Host (`dashboard.allowedHosts`). @defaultValue []
   */
  readonly allowedHosts?: readonly string[];
}

export type CrossSiteVerdict = { readonly ok: true } | { readonly ok: false; readonly status: 403 | 415; readonly reason: string };

function hasBody(headers: IncomingHttpHeaders): boolean {
  return headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;
}

function isJson(contentType: string | undefined): boolean {
  const media = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  return media === 'application/json';
}

/** Whether an `Origin` header names the host that the request was sent to (or an allowed name). */
function originIsOurs(origin: string, host: string | undefined, allowedHosts: ReadonlySet<string>): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // includes `null`: sandboxed frames, file: pages, redirected cross-site posts
  }
  const defaultPort = DEFAULT_PORTS[url.protocol];
  if (defaultPort === undefined) return false;
  const from = parseHostHeader(url.host);
  if (!from) return false;
  if (allowedHosts.has(from.hostname)) return true;
  const to = parseHostHeader(host);
  return to !== undefined && to.hostname === from.hostname && (to.port ?? defaultPort) === (from.port ?? defaultPort);
}

export function judgeCrossSite(
  method: string,
  headers: IncomingHttpHeaders,
  allowedHosts: ReadonlySet<string> = new Set(),
): CrossSiteVerdict {
  if (SAFE_METHODS.has(method.toUpperCase())) return { ok: true };
  const site = headers['sec-fetch-site'];
  if (site !== undefined && !OUR_FETCH_SITES.has(site.toLowerCase())) {
    return { ok: false, status: 403, reason: 'cross-site request refused' };
  }
  const origin = headers.origin;
  if (origin !== undefined && !originIsOurs(origin, headers.host, allowedHosts)) {
    return { ok: false, status: 403, reason: 'cross-origin request refused' };
  }
  // Bull Board's retry, promote, pause and clean are bodiless PUTs; a cross-site page cannot send
  // a PUT, PATCH or DELETE without a preflight, but it can send a bodiless POST.
  const bodiless = !hasBody(headers) && headers['content-type'] === undefined && method.toUpperCase() !== 'POST';
  if (!bodiless && !isJson(headers['content-type'])) {
    return { ok: false, status: 415, reason: 'expected Content-Type: application/json' };
  }
  return { ok: true };
}

export function crossSiteGuard(options: CrossSiteGuardOptions = {}): RequestHandler {
  const allowed = new Set((options.allowedHosts ?? []).map((name) => name.toLowerCase().replace(/\.$/, '')));
  return (req, res, next) => {
    const verdict = judgeCrossSite(req.method, req.headers, allowed);
    if (verdict.ok) {
      next();
      return;
    }
    res.status(verdict.status).type('text/plain').send(`${verdict.reason}\n`);
  };
}
