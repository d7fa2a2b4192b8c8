// Captures pino's JSON lines so tests assert on log objects, not text.

import { Writable } from 'node:stream';
import { createLogger, type Logger } from '@pypi-watch/core';

export interface CapturedLogs {
  readonly logger: Logger;
  readonly lines: Array<Record<string, unknown>>;
  /** Every line as raw text, for "this secret appears nowhere" checks. */
  text(): string;
}

export function captureLogs(level = 'debug'): CapturedLogs {
  const raw: string[] = [];
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) {
        if (!line) continue;
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      callback();
    },
  });
  return { logger: createLogger({ level, destination }), lines, text: () => raw.join('\n') };
}
