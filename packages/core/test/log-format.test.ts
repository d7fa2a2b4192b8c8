// Log lines are JSON for programs (pipes, files, container logs) and pino-pretty's text on a terminal;
// secrets are blanked and terminal controls escaped in both.

import { execa } from 'execa';
import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConfigError } from '../src/errors.js';
import { chooseLogFormat } from '../src/logging/log-format.js';
import { createLogger } from '../src/logging/logger.js';

const CHILD = resolve(import.meta.dirname, 'fixtures/log-format-child.ts');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const SECRET = 'sk-live-0a1b2c3d4e';
const HOSTILE = '1.0\u001b[2J\u009b31m\u202eevil';
/** What a terminal would act on: C0 but tab and newline (and the pty's carriage return), DEL, C1, bidi. */
const RAW_CONTROL_BUT_SGR = /(?!\u001b\[[0-9;]*m)[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

interface ChildRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly prettyLoaded: boolean | undefined;
  readonly exitCode: number | undefined;
}

/** The fixture with stdout and stderr pipes. */
async function runPiped(env: Record<string, string>, where: 'stdout' | 'stderr' = 'stdout'): Promise<ChildRun> {
  const child = await execa(process.execPath, ['--import', TSX, CHILD, where, SECRET, HOSTILE], {
    env: { PATH: process.env.PATH ?? '', ...env },
    extendEnv: false,
    reject: false,
  });
  return { stdout: child.stdout, stderr: child.stderr, prettyLoaded: loadedFrom(child.stderr), exitCode: child.exitCode };
}

/**
 * The fixture on a pseudo-terminal (util-linux `script`), as when an operator runs a command by
 * hand: stdout and stderr come back mixed.
 */
async function runOnTerminal(env: Record<string, string>): Promise<ChildRun> {
  const command = [process.execPath, '--import', TSX, CHILD, 'stdout', SECRET, `'${HOSTILE}'`].join(' ');
  const child = await execa('script', ['--quiet', '--return', '--command', command, '/dev/null'], {
    env: { PATH: process.env.PATH ?? '', TERM: 'xterm', ...env },
    extendEnv: false,
    reject: false,
  });
  return { stdout: child.stdout, stderr: child.stderr, prettyLoaded: loadedFrom(child.stdout), exitCode: child.exitCode };
}

function loadedFrom(text: string): boolean | undefined {
  const match = /pino-pretty loaded: (true|false)/.exec(text);
  return match === null ? undefined : match[1] === 'true';
}

const logLines = (text: string): string[] => text.split(/\r?\n/).filter((line) => line !== '' && !line.startsWith('pino-pretty loaded'));

describe('chooseLogFormat', () => {
  test.each([
    [undefined, true, 'pretty'],
    [undefined, false, 'json'],
    ['', true, 'pretty'],
    ['json', true, 'json'],
    ['pretty', false, 'pretty'],
    [' Pretty ', false, 'pretty'],
    ['JSON', true, 'json'],
  ] as const)('LOG_FORMAT=%j on a terminal: %s → %s', (value, isTerminal, expected) => {
    expect(chooseLogFormat(value, isTerminal)).toBe(expected);
  });

  test('any other value is a config error naming LOG_FORMAT, the value and what is allowed', () => {
    let error: unknown;
    try {
      chooseLogFormat('yaml', false);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({
      code: 'ERR_CONFIG',
      message: expect.stringMatching(/LOG_FORMAT must be one of json, pretty .*got "yaml"/),
    });
  });
});

describe('createLogger format', () => {
  function capture(format?: 'json' | 'pretty'): { logger: ReturnType<typeof createLogger>; text: () => string } {
    const chunks: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk.toString());
        callback();
      },
    });
    return {
      logger: createLogger({ destination, secrets: [SECRET], ...(format === undefined ? {} : { format }) }),
      text: () => chunks.join(''),
    };
  }

  test('a stream passed in gets JSON by default', () => {
    const { logger, text } = capture();
    logger.info({ release: { version: HOSTILE } }, `calling with ${SECRET}`);
    expect(JSON.parse(text())).toMatchObject({ msg: 'calling with [REDACTED]', release: { version: HOSTILE } });
  });

  test('pretty: human text, the secret blanked, every terminal control shown as an escape', () => {
    const { logger, text } = capture('pretty');
    logger.info({ release: { version: HOSTILE } }, `calling with ${SECRET}`);
    logger.error({ err: new Error(`refused ${SECRET}`) }, 'failed');
    const out = text();
    expect(() => JSON.parse(logLines(out)[0] ?? '')).toThrow();
    expect(out).toMatch(/INFO.*calling with \[REDACTED\]/);
    expect(out).toContain('1.0\\x1b[2J\\x9b31m\\u202eevil');
    expect(out).not.toContain(SECRET);
    expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
    // A stack keeps its lines, so a person can read it.
    expect(out).toMatch(/ERROR.*failed[\s\S]*refused \[REDACTED\][\s\S]*\n\s+at /);
  });
});

describe('a process', () => {
  test('whose stdout is a pipe logs JSON and never loads pino-pretty', async () => {
    const run = await runPiped({});
    expect(run.exitCode).toBe(0);
    expect(logLines(run.stdout).map((line) => JSON.parse(line) as unknown)).toEqual([
      expect.objectContaining({ msg: 'calling with [REDACTED]', release: { version: HOSTILE }, app: 'log-format-child' }),
    ]);
    expect(run.prettyLoaded).toBe(false);
  });

  test('logging to stderr (a one-shot command) looks at stderr: a pipe gets JSON', async () => {
    const run = await runPiped({}, 'stderr');
    expect(run.stdout).toBe('');
    expect(JSON.parse(logLines(run.stderr)[0] ?? '')).toMatchObject({ msg: 'calling with [REDACTED]' });
  });

  test('with LOG_FORMAT=pretty logs pretty text into a pipe too, without colours', async () => {
    const run = await runPiped({ LOG_FORMAT: 'pretty' });
    expect(run.stdout).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: calling with \[REDACTED\]/);
    expect(run.stdout).not.toContain('\u001b');
    expect(run.prettyLoaded).toBe(true);
  });

  test('on a terminal logs pretty, coloured text; LOG_FORMAT=json keeps it JSON', async () => {
    const pretty = await runOnTerminal({});
    expect(pretty.exitCode).toBe(0);
    expect(pretty.prettyLoaded).toBe(true);
    const prettyText = logLines(pretty.stdout).join('\n');
    expect(prettyText).toMatch(/INFO.*calling with \[REDACTED\]/);
    expect(prettyText).toContain('\u001b[32m'); // pino-pretty's green INFO: the colours are ours, the feed's ESC is escaped
    expect(prettyText).toContain('\\x1b[2J');
    expect(prettyText).not.toMatch(RAW_CONTROL_BUT_SGR);
    expect(prettyText).not.toContain(SECRET);

    const json = await runOnTerminal({ LOG_FORMAT: 'json' });
    expect(logLines(json.stdout).map((line) => JSON.parse(line) as unknown)).toEqual([
      expect.objectContaining({ msg: 'calling with [REDACTED]' }),
    ]);
    expect(json.prettyLoaded).toBe(false);
  });

  test('with a LOG_FORMAT it does not know stops before logging, naming it', async () => {
    const run = await runPiped({ LOG_FORMAT: 'yaml' });
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr).toMatch(/LOG_FORMAT must be one of json, pretty/);
    expect(run.stdout).toBe('');
  });
});
