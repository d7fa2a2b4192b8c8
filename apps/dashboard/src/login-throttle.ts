// Counts failed logins per client, refuses a client that failed too often, and logs one summary per window.
//
// In memory, per dashboard process: enough to turn a password guesser's thousands of tries a second
// into a handful a minute. Behind a reverse proxy every client shares the proxy's address, so a
// guesser locks the operator out too for the rest of the window; that is the price of not
// trusting X-Forwarded-For, which anyone can send.

import { isIPv6 } from 'node:net';
import type { Logger } from '@pypi-watch/core';

export interface LoginThrottleOptions {
  /** Failed logins a client may make in one window; the next ones are refused with 429. @defaultValue 10 */
  readonly maxFailures?: number;
  /** How long failures are counted, and how often at most the summary is logged. @defaultValue 60000 (ms) */
  readonly windowMs?: number;
  /** Clients tracked at once; past this, new ones share one counter. @defaultValue 10000 */
  readonly maxClients?: number;
  readonly logger?: Logger;
  readonly now?: () => number;
}

interface Window {
  failures: number;
  readonly startedAt: number;
}

/** Shared by every client beyond `maxClients`, so a flood of addresses costs bounded memory. */
const OVERFLOW = 'overflow';

/** The key a client's failures count under: its IPv4 address, or the /64 of an IPv6 one (one host's usual share). */
export function clientKey(address: string | undefined): string {
  const bare = (address ?? '').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  if (!isIPv6(bare)) return bare || 'unknown';
  const [head = '', tail = ''] = bare.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = bare.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

export class LoginThrottle {
  readonly #maxFailures: number;
  readonly #windowMs: number;
  readonly #maxClients: number;
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
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
  }

  /** Seconds until `key` may try again, or 0 when it may now. */
  retryAfterSeconds(key: string): number {
    const window = this.#current(this.#slotOf(key));
    if (!window || window.failures < this.#maxFailures) return 0;
    return Math.max(1, Math.ceil((window.startedAt + this.#windowMs - this.#now()) / 1000));
  }

  recordFailure(key: string): void {
    const now = this.#now();
    if (!this.#windows.has(key) && this.#windows.size >= this.#maxClients) this.#prune(now);
    const slot = this.#slotOf(key);
    const window = this.#current(slot) ?? { failures: 0, startedAt: now };
    this.#windows.set(slot, window);
    window.failures += 1;
    this.#unlogged += 1;
    if (this.#unloggedClients.size < this.#maxClients) this.#unloggedClients.add(slot);
    // One line per window, however many failures: a guesser must not be able to fill the log.
    this.#summary ??= setTimeout(() => this.#logSummary(), this.#windowMs).unref();
  }

  #slotOf(key: string): string {
    return this.#windows.has(key) || this.#windows.size < this.#maxClients ? key : OVERFLOW;
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
