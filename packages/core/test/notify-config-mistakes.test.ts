// Mistakes people make writing notify.webhooks, and what the config error then says: the key, what
// is allowed, and never the webhook URL's token, wherever the URL was put by mistake.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../src/config/load-config.js';
import { ConfigError } from '../src/errors.js';

const TOKEN = 'b7e1d2c3-hook-token-5a6b-7c8d9e0f1a2b';
/** Short enough that a value cut to 80 characters would still show it whole. */
const URL = `https://hooks.example/${TOKEN}`;
/** Any piece of the token is too much. */
const PIECE = TOKEN.slice(0, 8);

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function loadError(notify: unknown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pypi-watch-notify-mistakes-'));
  dirs.push(dir);
  const file = join(dir, 'pypi-watch.yaml');
  await writeFile(file, stringify({ notify }));
  try {
    loadConfig({ file, env: {}, cwd: dir });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('notify.webhooks mistakes', () => {
  test.each([
    ['the URL listed as the webhook itself', { webhooks: [URL] }, /notify\.webhooks\.0: .*expected object/],
    [
      'the URL in urlEnv (which names a variable)',
      { webhooks: [{ urlEnv: URL }] },
      /notify\.webhooks\.0\.urlEnv: .*environment variable name/,
    ],
    ['the URL in secretEnv', { webhooks: [{ url: URL, format: 'feishu', secretEnv: URL }] }, /notify\.webhooks\.0\.secretEnv: /],
    ['the URL as a list', { webhooks: [{ url: [URL] }] }, /notify\.webhooks\.0\.url: .*expected string/],
    ['the URL as the format', { webhooks: [{ url: URL, format: URL }] }, /notify\.webhooks\.0\.format: .*"json"\|"feishu"\|"slack"/],
    ['the URL as an event', { webhooks: [{ url: URL, events: [URL] }] }, /notify\.webhooks\.0\.events\.0: .*"build-failures"/],
    ['the URL as the name', { webhooks: [{ url: URL, name: URL }] }, /notify\.webhooks\.0\.name: expected 1-64 letters/],
  ])('%s: named by its key, the token not shown', async (_what, notify, expected) => {
    const message = await loadError(notify);
    expect(message).toMatch(expected);
    expect(message).not.toContain(PIECE);
  });

  test('what was written is still shown where it cannot be a URL (a mistyped event)', async () => {
    expect(await loadError({ webhooks: [{ url: URL, events: ['build-fails'] }] })).toMatch(
      /notify\.webhooks\.0\.events\.0: got "build-fails"; /,
    );
  });

  test('an unknown key in a webhook lists the keys a webhook has', async () => {
    const message = await loadError({ webhooks: [{ url: URL }, { url: URL, Url: URL }] });
    expect(message).toMatch(/notify\.webhooks\.1\.Url: unknown key; allowed here: name, url, urlEnv, format, events, secretEnv/);
    expect(message).not.toContain(PIECE);
  });
});
