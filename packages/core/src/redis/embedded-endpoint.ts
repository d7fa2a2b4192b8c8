// `endpoint.json`: how other pypi-watch commands on the same data dir find, and prove, the running server.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writePrivateFile } from './private-file.js';

/** What a running embedded server publishes (mode 0600) so other commands on the same data dir can share it. */
export interface EmbeddedEndpoint {
  /** TCP port on 127.0.0.1. */
  readonly port: number;
  /** The redis-server's process id. */
  readonly pid: number;
  /**
   * INFO server `run_id` read right after start: random per redis-server process, held by the
   * server and not by its data, so neither an impostor on a stale port nor a server started from
   * a copy of the AOF can show it. Absent in files written by older versions.
   */
  readonly runId?: string;
  /** The password of this run's ACL user (fresh on every start). Absent in files written by older versions. */
  readonly password?: string;
}

export const ENDPOINT_FILE = 'endpoint.json';
/** The ACL user clients of the embedded server log in as (the default user's password is never used). */
export const EMBEDDED_REDIS_USER = 'pypi-watch';

export function endpointPath(dir: string): string {
  return join(dir, ENDPOINT_FILE);
}

export function writeEndpoint(dir: string, endpoint: EmbeddedEndpoint): Promise<void> {
  return writePrivateFile(endpointPath(dir), JSON.stringify(endpoint));
}

/** The endpoint file, or undefined when there is none or it does not name a port. */
export async function readEndpoint(dir: string): Promise<EmbeddedEndpoint | undefined> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(endpointPath(dir), 'utf8'));
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { port, pid, runId, password } = raw as Record<string, unknown>;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65_535) return undefined;
  return {
    port,
    pid: typeof pid === 'number' && Number.isInteger(pid) && pid > 0 ? pid : 0,
    ...(typeof runId === 'string' && /^[0-9a-f]{40}$/.test(runId) ? { runId } : {}),
    ...(typeof password === 'string' && password.length > 0 ? { password } : {}),
  };
}

/** The loopback URL a client of the embedded server connects with (the password percent-encoded). */
export function embeddedRedisUrl(port: number, password: string): string {
  return `redis://${EMBEDDED_REDIS_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}`;
}
