// One pino logger per process, with secret redaction configured once at start-up.

import { isatty } from 'node:tty';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from '#pino';
import { terminalJsonText } from '../text/terminal-text.js';
import { chooseLogFormat, createLinePrettifier, type LogFormat } from './log-format.js';
import { SecretRedactor } from './secret-redaction.js';

export type { Logger } from 'pino';
export { configuredSecretValues } from './secret-redaction.js';
export { chooseLogFormat, LOG_FORMATS, type LogFormat } from './log-format.js';

/** Paths pino blanks wherever they appear in a log object. */
export const REDACT_PATHS = [
  'secrets',
  '*.secrets',
  'apiKey',
  '*.apiKey',
  'api_key',
  '*.api_key',
  'password',
  '*.password',
  'token',
  '*.token',
  'my_token',
  '*.my_token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
];

export interface CreateLoggerOptions {
  /** @defaultValue 'info' */
  readonly level?: string;
  /** Where lines go: a stream, or `'stderr'` for commands whose stdout is their answer. @defaultValue stdout */
  readonly destination?: DestinationStream | 'stderr';
  /** Fields on every line, e.g. `{ app: 'worker' }`. */
  readonly base?: Record<string, unknown>;
  /**
   * Secret values (see `configuredSecretValues`) replaced with `[REDACTED]` wherever they appear in
   * a line, whatever the key: the paths above only catch fields by name, not a URL inside a message.
   * @defaultValue `[]`
   */
  readonly secrets?: readonly string[];
  /**
   * `json` (one object a line) or `pretty` (pino-pretty's text, for a person).
   * @defaultValue for stdout and stderr, `LOG_FORMAT` if set, else pretty when that stream is a
   * terminal and JSON otherwise (see `chooseLogFormat`); for a stream passed in, JSON
   */
  readonly format?: LogFormat;
}

export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const pinoOptions: LoggerOptions = {
    level: options.level ?? 'info',
    base: { pid: process.pid, ...options.base },
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  const fd = options.destination === 'stderr' ? 2 : options.destination === undefined ? 1 : undefined;
  // A stream passed in (a test's capture, a file) is read by a program: JSON unless asked otherwise.
  const format = options.format ?? (fd === undefined ? 'json' : chooseLogFormat(process.env.LOG_FORMAT, isatty(fd)));
  // Lines are read on terminals (`docker logs`, a one-shot command's stderr) and carry feed text:
  // pino escapes C0 itself, terminalJsonText escapes C1 and bidi characters too (same JSON once
  // parsed); the pretty form shows them all as escapes. Secrets go first, while the line is JSON.
  const redactor = options.secrets !== undefined && options.secrets.length > 0 ? new SecretRedactor(options.secrets) : undefined;
  // Colours only for a terminal (pino-pretty then also honours NO_COLOR and FORCE_COLOR).
  const present = format === 'pretty' ? createLinePrettifier(fd !== undefined && isatty(fd) ? {} : { colorize: false }) : terminalJsonText;
  pinoOptions.hooks = { streamWrite: (line) => present(redactor === undefined ? line : redactor.redactJson(line)) };
  if (options.destination === 'stderr') return pino(pinoOptions, pino.destination(2));
  return options.destination ? pino(pinoOptions, options.destination) : pino(pinoOptions);
}
