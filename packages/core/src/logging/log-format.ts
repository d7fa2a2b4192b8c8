// How a log line looks: JSON for machines (pipes, files, `docker logs`), pino-pretty's text for a person at a terminal.

import type * as PinoPrettyModule from 'pino-pretty';
import { createRequire } from 'node:module';
import { ConfigError } from '../errors.js';
import { terminalText } from '../text/terminal-text.js';

export type LogFormat = 'json' | 'pretty';
export const LOG_FORMATS: readonly LogFormat[] = ['json', 'pretty'];

/**
 * `LOG_FORMAT` (`json` or `pretty`) when set; otherwise pretty on a terminal and JSON anywhere
 * else, so a pipe, a file or a container log always gets one JSON object a line.
 */
export function chooseLogFormat(logFormat: string | undefined, isTerminal: boolean): LogFormat {
  const wanted = logFormat?.trim().toLowerCase() ?? '';
  if (wanted === '') return isTerminal ? 'pretty' : 'json';
  if ((LOG_FORMATS as readonly string[]).includes(wanted)) return wanted as LogFormat;
  // The value comes from the environment: quoted, bounded; main escapes it for the terminal.
  throw new ConfigError(
    `LOG_FORMAT must be one of ${LOG_FORMATS.join(', ')} (or unset: pretty on a terminal, JSON otherwise), got ` +
      `${JSON.stringify(logFormat?.slice(0, 40))}`,
  );
}

/** Turns one pino JSON line (already redacted) into the text a terminal shows. */
export type LinePrettifier = (jsonLine: string) => string;

export interface PrettifierOptions {
  /** ANSI colours for levels and keys. @defaultValue pino-pretty's guess (stdout a terminal, NO_COLOR and FORCE_COLOR honoured) */
  readonly colorize?: boolean;
}

// Types only: the module itself is loaded lazily below, and only for pretty output.
type PinoPretty = typeof PinoPrettyModule;

/**
 * pino-pretty's formatter, loaded on first use: a process that logs JSON (every service in a
 * container, every piped command) never loads it. It formats synchronously, in the process's own
 * write, so nothing is lost when a command exits and no worker thread is started.
 */
export function createLinePrettifier(options: PrettifierOptions = {}): LinePrettifier {
  const pinoPretty = createRequire(import.meta.url)('pino-pretty') as PinoPretty;
  const prettify = pinoPretty.prettyFactory({
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid',
    ...(options.colorize === undefined ? {} : { colorize: options.colorize }),
  });
  return (jsonLine) => prettify(terminalSafe(JSON.parse(jsonLine)));
}

/**
 * Every string (keys too) with terminal controls shown as escapes. JSON mode escapes them inside
 * the JSON text, but pino-pretty decodes the JSON again and would print feed text's ESC and bidi
 * characters raw: here they are made visible before it sees them. A `stack` keeps its line breaks.
 */
function terminalSafe(value: unknown, key = ''): unknown {
  if (typeof value === 'string') return terminalText(value, { multiline: key === 'stack' });
  if (Array.isArray(value)) return value.map((item) => terminalSafe(item));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([name, item]) => [terminalText(name), terminalSafe(item, name)]));
  }
  return value;
}
