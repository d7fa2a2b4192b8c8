// Configured secret values never reach a log line, whatever key or message carries them; nor do raw terminal controls.

import { Writable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { configuredSecretValues, createLogger } from '../src/logging/logger.js';

function capture(secrets?: readonly string[]): { logger: ReturnType<typeof createLogger>; text: () => string; lines: () => unknown[] } {
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      raw.push(chunk.toString());
      callback();
    },
  });
  const logger = createLogger({ level: 'trace', destination, ...(secrets === undefined ? {} : { secrets }) });
  return {
    logger,
    text: () => raw.join(''),
    lines: () =>
      raw
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as unknown),
  };
}

const BASE_URL = 'https://repair:pw-0a1b2c@ai.example.org/v1';
const MODEL = 'repair-model-9f';
const QUOTED = 'sk-"quoted"\\back';

describe('createLogger with secrets', () => {
  test('redacts them in messages, nested fields and error messages, and every line stays JSON', () => {
    const { logger, text, lines } = capture([BASE_URL, MODEL, QUOTED]);
    logger.info({ target: { url: BASE_URL }, note: `model ${MODEL}` }, `calling ${BASE_URL}`);
    logger.error({ err: new Error(`key ${QUOTED} refused`) }, 'failed');
    logger.warn({ list: [MODEL, 'kept'] }, 'plain');

    for (const secret of [BASE_URL, MODEL, 'pw-0a1b2c', JSON.stringify(QUOTED).slice(1, -1)]) expect(text()).not.toContain(secret);
    const parsed = lines() as Array<Record<string, unknown>>;
    expect(parsed).toHaveLength(3);
    expect(parsed[0]).toMatchObject({ msg: 'calling [REDACTED]', target: { url: '[REDACTED]' }, note: 'model [REDACTED]' });
    expect((parsed[1]?.['err'] as { message: string }).message).toBe('key [REDACTED] refused');
    expect(parsed[2]).toMatchObject({ list: ['[REDACTED]', 'kept'] });
  });

  test('(control) without secrets the same lines carry them', () => {
    const { logger, text } = capture();
    logger.info({ note: `model ${MODEL}` }, `calling ${BASE_URL}`);
    expect(text()).toContain(BASE_URL);
    expect(text()).toContain(MODEL);
  });

  test('C1 and bidi characters from feed text reach no line raw; the line still parses to the same text', () => {
    const { logger, text, lines } = capture();
    const version = '1.0\u009b2J\u009d0;t\u202eevil\u001b[2J';
    logger.warn({ release: { version } }, `yanked ${version}`);
    expect(text()).not.toMatch(/[\u001b\u007f-\u009f\u202a-\u202e]/);
    expect(lines()).toEqual([expect.objectContaining({ msg: `yanked ${version}`, release: { version } })]);
  });

  test('configuredSecretValues lists the AI key, base URL, model and dashboard password that are set', () => {
    expect(
      configuredSecretValues({ secrets: { aiApiKey: 'sk-1', dashboardPassword: 'pw' }, ai: { baseUrl: BASE_URL, model: '' } }),
    ).toEqual(['sk-1', BASE_URL, 'pw']);
  });
});
