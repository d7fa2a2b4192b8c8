// Counts failed logins per client, refuses a client that failed too often, and logs one summary per window.
//
// In memory, per dashboard process: enough to turn a password guesser's thousands of tries a second
// into a handful a minute. Every loopback address is one client (any local user can use all of
// 127.0.0.0/8), and a budget across all clients stops a guesser with many addresses: past it, only
// clients that have failed already are refused, so an operator's first try still gets in. Behind a
// reverse proxy every client shares the proxy's address, so a guesser locks the operator out too for
// the rest of the window; that is the price of not trusting X-Forwarded-For, which anyone can send.

import { isIPv6 } from 'node:net';
import type { Logger } from '@pypi-watch/core';

export interface LoginThrottleOptions {
  /** Failed logins a client may make in one window; the next ones are refused with 429. @defaultValue 10 */
  readonly maxFailures?: number;
  /** How long failures are counted, and how often at most the summary is logged. @defaultValue 60000 (ms) */
  readonly windowMs?: number;
  /** Clients tracked at once; past this, the oldest are forgotten. @defaultValue 10000 */
  readonly maxClients?: number;
  /** Failed logins from all clients in one window, past which every client that failed is refused. @defaultValue 100 */
  readonly maxTotalFailures?: number;
  readonly logger?: Logger;
  readonly now?: () => number;
}

interface Window {
  failures: number;
  readonly startedAt: number;
}

/** The key a client's failures count under: its IPv4 address, or the /64 of an IPv6 one (one host's usual share). */
export function clientKey(address: string | undefined): string {
  const bare = (address ?? '').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  if (/^127\.\d+\.\d+\.\d+$/.test(bare) || bare === '::1' || /^0*:(0*:){0,6}0*:?0*1$/.test(bare)) return 'loopback';
  if (!isIPv6(bare)) return bare || 'unknown';
  const [head = '', tail = ''] = bare.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = bare.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

export class LoginThrottle {
  readonly #maxFailures: number;
  readonly #windowMs: number;
  readonly #maxClients: number;
  readonly #maxTotalFailures: number;
  #total: Window | undefined;
  readonly #logger: Logger | undefined;
  readonly #now: () => number;
  readonly #windows = new Map<string, Window>();
  #unlogged = 0;
  readonly #unloggedClients = new Set<string>();
  #summary: NodeJS.Timeout | undefined;

  constructor(options: LoginThrottleOptions = {}) {
    this.#maxFailures = options.maxFailures ?? 10;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#maxClients = options.maxClients ?? 10_000;
    this.#maxTotalFailures = options.maxTotalFailures ?? 100;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
  }

  /** Seconds until `key` may try again, or 0 when it may now. */
  retryAfterSeconds(key: string): number {
    const window = this.#current(key);
    if (!window) return 0;
    if (window.failures >= this.#maxFailures) return this.#secondsLeft(window);
    const total = this.#currentTotal();
    if (total && total.failures >= this.#maxTotalFailures) return this.#secondsLeft(total);
    return 0;
  }

  #secondsLeft(window: Window): number {
    return Math.max(1, Math.ceil((window.startedAt + this.#windowMs - this.#now()) / 1000));
  }

  #currentTotal(): Window | undefined {
    if (this.#total && this.#now() - this.#total.startedAt >= this.#windowMs) this.#total = undefined;
    return this.#total;
  }

  recordFailure(key: string): void {
    const now = this.#now();
    if (!this.#windows.has(key) && this.#windows.size >= this.#maxClients) {
      this.#prune(now);
      // Still full: forget the oldest client (a Map keeps insertion order), never lump the new one with others.
      const oldest = this.#windows.keys().next();
      if (this.#windows.size >= this.#maxClients && !oldest.done) this.#windows.delete(oldest.value);
    }
    const window = this.#current(key) ?? { failures: 0, startedAt: now };
    this.#windows.set(key, window);
    window.failures += 1;
    const total = this.#currentTotal() ?? { failures: 0, startedAt: now };
    this.#total = total;
    total.failures += 1;
    this.#unlogged += 1;
    if (this.#unloggedClients.size < this.#maxClients) this.#unloggedClients.add(key);
    // One line per window, however many failures: a guesser must not be able to fill the log.
    if (this.#summary === undefined) this.#summary = setTimeout(() => this.#logSummary(), this.#windowMs).unref();
  }

  #current(slot: string): Window | undefined {
    const window = this.#windows.get(slot);
    if (window && this.#now() - window.startedAt >= this.#windowMs) {
      this.#windows.delete(slot);
      return undefined;
    }
    return window;
  }

  #prune(now: number): void {
    for (const [key, window] of this.#windows) if (now - window.startedAt >= this.#windowMs) this.#windows.delete(key);
  }

  #logSummary(): void {
    this.#summary = undefined;
    if (this.#unlogged === 0) return;
    this.#logger?.warn(
      { failedLogins: this.#unlogged, clients: this.#unloggedClients.size, windowMs: this.#windowMs, maxFailures: this.#maxFailures },
      'dashboard: refused logins (wrong user or password)',
    );
    this.#unlogged = 0;
    this.#unloggedClients.clear();
  }
}
