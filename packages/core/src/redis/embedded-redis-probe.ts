// Is the server the endpoint file names really the embedded redis-server pypi-watch started?
// The file can be stale (the server died) while another local user's process listens on its port.

import { randomBytes } from 'node:crypto';
import { Redis, ReplyError } from './ioredis.js';
import { processAlive } from '../process/process-alive.js';
import { EMBEDDED_REDIS_USER, embeddedRedisUrl, endpointPath, readEndpoint, type EmbeddedEndpoint } from './embedded-endpoint.js';

export type EmbeddedRedisProbe =
  /** No endpoint file, or nothing listens on its port any more: no embedded server runs. */
  | { readonly state: 'none' }
  /** Our server: it wants the password of the endpoint file and shows the run_id recorded at start. */
  | { readonly state: 'ours'; readonly url: string; readonly endpoint: EmbeddedEndpoint }
  /** Something answers on the port but is not our server (or could not show that it is). */
  | {
      readonly state: 'untrusted';
      readonly endpointFile: string;
      readonly port: number;
      readonly pid: number;
      /** Whether the process the file names still exists (it may be our server, wedged). */
      readonly pidRunning: boolean;
      /** Why it is not trusted, in our words: never text the server sent. */
      readonly reason: string;
    };

export interface ProbeOptions {
  /** How long the probe waits to connect and for each answer. @defaultValue 1000 (ms) */
  readonly timeoutMs?: number;
}

export async function probeEmbeddedRedis(dir: string, options: ProbeOptions = {}): Promise<EmbeddedRedisProbe> {
  const endpoint = await readEndpoint(dir);
  if (!endpoint) return { state: 'none' };
  const verdict = await challenge(endpoint, options.timeoutMs ?? 1000);
  if (verdict === UNREACHABLE) return { state: 'none' };
  if (verdict === VERIFIED && endpoint.password !== undefined) {
    return { state: 'ours', url: embeddedRedisUrl(endpoint.port, endpoint.password), endpoint };
  }
  return {
    state: 'untrusted',
    endpointFile: endpointPath(dir),
    port: endpoint.port,
    pid: endpoint.pid,
    // Another user's process is never our redis-server, which runs as us.
    pidRunning: processAlive(endpoint.pid, { otherUsers: 'gone' }),
    reason: verdict === VERIFIED ? 'the endpoint file holds no password' : verdict,
  };
}

/**
 * The URL of the embedded server another pypi-watch process runs on this data dir (e.g.
 * `pypi-watch status` next to `pypi-watch start`), or undefined when none runs or the one
 * answering cannot show it is ours.
 */
export async function findRunningEmbeddedRedis(dir: string): Promise<string | undefined> {
  const probe = await probeEmbeddedRedis(dir);
  return probe.state === 'ours' ? probe.url : undefined;
}

const UNREACHABLE = Symbol('unreachable');
const VERIFIED = Symbol('verified');
type Verdict = typeof UNREACHABLE | typeof VERIFIED | string;

/**
 * Refusing no password and a wrong one weeds out open servers and "+OK to anything" fakes; the
 * run_id weeds out the rest. The password is sent only after the first two checks, and it is
 * fresh per start: a dead server's password, if an impostor records it, opens nothing.
 */
async function challenge(endpoint: EmbeddedEndpoint, timeoutMs: number): Promise<Verdict> {
  const client = new Redis({
    host: '127.0.0.1',
    port: endpoint.port,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    enableReadyCheck: false,
    disableClientInfo: true,
  });
  client.on('error', () => {});
  try {
    try {
      await client.connect();
    } catch {
      return UNREACHABLE;
    }
    const ping = await answer(client.call('PING'));
    if (ping.ok) return 'it answers commands without a password';
    if (!ping.refusal?.startsWith('NOAUTH')) return 'it does not ask for a password the way redis-server does';
    const bogus = await answer(client.call('AUTH', EMBEDDED_REDIS_USER, randomBytes(32).toString('hex')));
    if (bogus.ok) return 'it accepts a wrong password';
    if (bogus.refusal === undefined) return 'it does not answer AUTH the way redis-server does';
    if (endpoint.password === undefined || endpoint.runId === undefined) {
      return 'the endpoint file holds no password or run_id (written by an older pypi-watch)';
    }
    const auth = await answer(client.call('AUTH', EMBEDDED_REDIS_USER, endpoint.password));
    if (!auth.ok || auth.value !== 'OK') return 'it refuses the password pypi-watch gave its redis-server';
    const info = await answer(client.call('INFO', 'server'));
    if (!info.ok || typeof info.value !== 'string') return 'it does not answer INFO the way redis-server does';
    const fields = parseInfo(info.value);
    if (fields.get('run_id') !== endpoint.runId) {
      return 'its run_id is not the one recorded when pypi-watch started its redis-server (another redis-server process)';
    }
    if (fields.get('process_id') !== String(endpoint.pid)) {
      return 'its process id is not the one recorded when pypi-watch started its redis-server';
    }
    return VERIFIED;
  } finally {
    client.disconnect();
  }
}

type Answer = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly refusal?: string };

/** A reply, or the server's error reply (a refusal), or neither (timeout, closed, garbled). */
async function answer(command: Promise<unknown>): Promise<Answer> {
  try {
    return { ok: true, value: await command };
  } catch (error) {
    return error instanceof ReplyError ? { ok: false, refusal: String((error as Error).message) } : { ok: false };
  }
}

export function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return fields;
}
