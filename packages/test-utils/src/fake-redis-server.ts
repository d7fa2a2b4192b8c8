// A tiny TCP server that speaks just enough RESP to pose as a redis-server: an impostor on a stale port.

import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';

/** What the impostor answers to one command (already RESP-encoded), given its arguments. */
export type FakeRedisHandler = (args: readonly string[], state: { readonly commands: readonly string[][] }) => string;

export interface FakeRedisServer {
  readonly port: number;
  /** Every command received, in order (so a test can see what a client gave away). */
  readonly commands: readonly string[][];
  close(): Promise<void>;
}

export const resp = {
  simple: (text: string): string => `+${text}\r\n`,
  error: (text: string): string => `-${text}\r\n`,
  bulk: (text: string): string => `$${Buffer.byteLength(text)}\r\n${text}\r\n`,
};

/** Listens on 127.0.0.1 (on `port`, or a free one) and answers every command through `handler`. */
export async function startFakeRedis(handler: FakeRedisHandler, port = 0): Promise<FakeRedisServer> {
  const commands: string[][] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const parsed = parseCommand(buffered);
        if (!parsed) break;
        buffered = buffered.subarray(parsed.consumed);
        commands.push(parsed.args);
        socket.write(handler(parsed.args, { commands }));
      }
    });
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('fake redis: no address');
  return {
    port: address.port,
    commands,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** One `*N $len arg …` array from the front of `buffer`, or undefined until it is complete. */
function parseCommand(buffer: Buffer): { args: string[]; consumed: number } | undefined {
  let offset = 0;
  const line = (): string | undefined => {
    const end = buffer.indexOf('\r\n', offset);
    if (end === -1) return undefined;
    const text = buffer.subarray(offset, end).toString();
    offset = end + 2;
    return text;
  };
  const header = line();
  if (header === undefined) return undefined;
  if (!header.startsWith('*')) return { args: header.split(' '), consumed: offset }; // inline command
  const count = Number(header.slice(1));
  const args: string[] = [];
  for (let i = 0; i < count; i++) {
    const size = line();
    if (size === undefined) return undefined;
    const length = Number(size.slice(1));
    if (buffer.length < offset + length + 2) return undefined;
    args.push(buffer.subarray(offset, offset + length).toString());
    offset += length + 2;
  }
  return { args, consumed: offset };
}
