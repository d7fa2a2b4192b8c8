// Redis connections for BullMQ and for pypi-watch's own keys: one server, or a Redis Cluster.

import type { ClusterNode, RedisOptions } from 'ioredis';
import { Cluster, Redis } from './ioredis.js';
import { withTimeout } from '../async/with-timeout.js';
import { ConfigError, RedisUnavailableError } from '../errors.js';

export interface RedisConnectionOptions {
  /**
   * `redis://[user:password@]host:port[/db]` or `rediss://…` for one server;
   * `redis+cluster://[user:password@]host:port[,host:port…]` (or `rediss+cluster://`) for a
   * Redis Cluster, the hosts being seed nodes.
   */
  readonly url: string;
  /** Label in errors and logs. @defaultValue 'pypi-watch' */
  readonly connectionName?: string;
  /** How long the first connection may take before start-up fails. @defaultValue 5000 (ms) */
  readonly connectTimeoutMs?: number;
  /**
   * Asked before every reconnect (by copies BullMQ makes too): false stops reconnecting. For the
   * embedded server: once its process is gone, whatever listens on its port next is not it.
   * @defaultValue always reconnect
   */
  readonly reconnectWhile?: () => boolean;
}

export type RedisTarget =
  | { readonly kind: 'server'; readonly url: string }
  | {
      readonly kind: 'cluster';
      readonly nodes: readonly ClusterNode[];
      readonly username?: string;
      readonly password?: string;
      readonly tls: boolean;
    };

// The userinfo runs to the LAST `@`: a password may hold a raw `@` (WHATWG URL parsing allows it).
const CLUSTER_URL = /^(rediss?)\+cluster:\/\/(?:(.*)@)?([^/?#@]+)\/?$/;
const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/** Reads a Redis URL; a `+cluster` scheme lists seed nodes of a Redis Cluster. */
export function parseRedisTarget(url: string): RedisTarget {
  const userInfo = splitUserInfo(url)?.userInfo;
  // `new URL` (ioredis) ends the host at the first `/`, `?` or `#`: a raw one in a password would
  // make part of the password the host name, which then shows up in connection errors.
  if (userInfo !== undefined && /[/?#]/.test(userInfo)) {
    throw new ConfigError(`Redis URL ${redactRedisUrl(url)}: percent-encode \`/\`, \`?\` and \`#\` in the password (%2F, %3F, %23)`);
  }
  const cluster = CLUSTER_URL.exec(url);
  if (!cluster) return { kind: 'server', url };
  const [, scheme, clusterUserInfo, hostList = ''] = cluster;
  const nodes = hostList.split(',').map((hostPort) => {
    const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(hostPort.trim());
    if (!match)
      throw new ConfigError(`Redis Cluster URL ${redactRedisUrl(url)}: expected host:port seed nodes, got ${JSON.stringify(hostPort)}`);
    return { host: (match[1] ?? '').replace(/^\[|\]$/g, ''), port: Number(match[2]) };
  });
  const [username, password] = clusterUserInfo === undefined ? [] : splitCredentials(url, clusterUserInfo);
  return {
    kind: 'cluster',
    nodes,
    tls: scheme === 'rediss',
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
  };
}

/** `user:pass` split at the first colon (a password may hold more), each percent-decoded. */
function splitCredentials(url: string, userInfo: string): [string, string | undefined] {
  const colon = userInfo.indexOf(':');
  const decode = (text: string): string => {
    try {
      return decodeURIComponent(text);
    } catch (error) {
      throw new ConfigError(`Redis URL ${redactRedisUrl(url)}: malformed %-escape in the credentials`, { cause: error });
    }
  };
  return colon === -1 ? [decode(userInfo), undefined] : [decode(userInfo.slice(0, colon)), decode(userInfo.slice(colon + 1))];
}

/** Everything between `scheme://` and the last `@`, or undefined when there is no `@`. */
function splitUserInfo(url: string): { scheme: string; userInfo: string; rest: string } | undefined {
  const scheme = SCHEME.exec(url)?.[0] ?? '';
  const afterScheme = url.slice(scheme.length);
  const at = afterScheme.lastIndexOf('@');
  if (at === -1) return undefined;
  return { scheme, userInfo: afterScheme.slice(0, at), rest: afterScheme.slice(at) };
}

/**
 * The URL with any password replaced, safe for messages and logs. Parsed by hand, not with
 * `new URL`: a raw `@`, `/`, `:` or `#` in a password must not move the boundary. Everything
 * up to the last `@` is credentials; only a plain user name before the first `:` is kept.
 * A `password=` query parameter (ioredis reads one) is masked too.
 */
export function redactRedisUrl(url: string): string {
  const parts = splitUserInfo(url);
  let redacted = url;
  if (parts) {
    const colon = parts.userInfo.indexOf(':');
    const user = colon === -1 ? undefined : parts.userInfo.slice(0, colon);
    const kept = user !== undefined && /^[\w.~%!$&'()*+,;=-]*$/.test(user) ? `${user}:***` : '***';
    redacted = `${parts.scheme}${kept}${parts.rest}`;
  }
  return redacted.replace(/([?&]password=)[^&]*/gi, '$1***');
}

/**
 * A connection as BullMQ wants it: `maxRetriesPerRequest: null` so commands wait through a
 * reconnect instead of failing, and a capped backoff so a Redis restart is ridden out.
 *
 * A Cluster is returned typed as `Redis`: ioredis gives both the same command API, and every
 * key of ours shares the `{prefix}` hash tag, so multi-key commands and scripts stay in one slot.
 */
export function createRedisClient(options: RedisConnectionOptions): Redis {
  const reconnectWhile = options.reconnectWhile;
  const retryStrategy = (times: number): number | null =>
    reconnectWhile && !reconnectWhile() ? null : Math.min(100 * 2 ** Math.min(times, 6), 5000);
  const common: RedisOptions = {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    connectionName: options.connectionName ?? 'pypi-watch',
    retryStrategy,
    lazyConnect: true,
  };
  const target = parseRedisTarget(options.url);
  if (target.kind === 'server') return new Redis(options.url, common);
  const cluster = new Cluster([...target.nodes], {
    lazyConnect: true,
    enableReadyCheck: true,
    clusterRetryStrategy: retryStrategy,
    redisOptions: {
      ...common,
      lazyConnect: false,
      ...(target.username ? { username: target.username } : {}),
      ...(target.password ? { password: target.password } : {}),
      ...(target.tls ? { tls: {} } : {}),
    },
  });
  return cluster as unknown as Redis;
}

/**
 * Connects and PINGs once, so a wrong URL fails at start with a message naming it,
 * instead of as endless reconnect attempts.
 */
export async function connectRedis(options: RedisConnectionOptions): Promise<Redis> {
  const client = createRedisClient(options);
  const timeoutMs = options.connectTimeoutMs ?? 5000;
  let lastError: Error | undefined;
  const onError = (error: Error): void => {
    lastError = error;
  };
  client.on('error', onError);
  try {
    await withTimeout(
      client.connect().then(() => client.ping()),
      timeoutMs,
      'connect and PING',
    );
  } catch (error) {
    client.disconnect();
    const reason = lastError?.message ?? (error as Error).message;
    throw new RedisUnavailableError(`cannot connect to Redis at ${redactRedisUrl(options.url)}: ${reason}`, {
      cause: lastError ?? error,
    });
  } finally {
    client.off('error', onError);
  }
  return client;
}
