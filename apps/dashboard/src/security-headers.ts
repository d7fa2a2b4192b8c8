// Headers on every response: a Content-Security-Policy that fits Bull Board's UI, no framing, no sniffing, no referrer.

import type { RequestHandler } from 'express';

/**
 * Scripts only from the dashboard itself: Bull Board's page has no inline script (its config is a
 * `type="application/json"` data block, which CSP does not govern). Styles also allow inline
 * ones, because the board's loading screen and React's style props use `style` attributes;
 * inline styles cannot run code. Google Fonts, which the board's page links, stay blocked: an
 * operator's page should not call out to third parties, and the board reads fine in system fonts.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
} as const;

export function securityHeaders(): RequestHandler {
  return (_req, res, next) => {
    res.set(HEADERS);
    next();
  };
}
