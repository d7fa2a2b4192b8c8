// notify.webhooks in the config: every mistake is named by its key, and no message shows a URL's token.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../src/config/load-config.js';
import { ConfigError } from '../src/errors.js';
import { resolveWebhooks } from '../src/notify/notify-config.js';

const TOKEN = 'c0ffee00-secret-token-4f2a-9b1d-55aa66bb77cc';
const FEISHU_URL = `https://open.feishu.cn/open-apis/bot/v2/hook/${TOKEN}`;

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function load(notify: unknown, env: NodeJS.ProcessEnv = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'pypi-watch-notify-config-'));
  dirs.push(dir);
  const file = join(dir, 'pypi-watch.yaml');
  await writeFile(file, stringify({ notify }));
  return loadConfig({ file, env, cwd: dir });
}

async function loadError(notify: unknown): Promise<string> {
  try {
    await load(notify);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

function resolveError(...args: Parameters<typeof resolveWebhooks>): string {
  try {
    resolveWebhooks(...args);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('notify config', () => {
  test('defaults: no webhooks, hourly digests, one message a second per webhook', async () => {
    const config = await load({});
    expect(config.notify).toEqual({
      webhooks: [],
      every: 60_000,
      digestEvery: 3_600_000,
      lagAlarm: 50_000,
      refusedAfter: 5,
      resolveAfter: 900_000,
      timeout: 10_000,
      attempts: 20,
      backoff: 30_000,
      rateLimit: { max: 1, duration: 1000 },
    });
  });

  test('a webhook gets every event and the json format unless told otherwise', async () => {
    const config = await load({ webhooks: [{ urlEnv: 'HOOK_URL' }] });
    const [hook] = resolveWebhooks(config.notify.webhooks, { HOOK_URL: 'http://127.0.0.1:9/x' });
    expect(hook?.format).toBe('json');
    expect([...(hook?.events ?? [])]).toEqual([
      'build-failures',
      'submits-refused',
      'poll-failing',
      'poll-lag',
      'rss-gap',
      'built-then-withdrawn',
    ]);
  });

  test('a bad URL in the file is named by its key, and not shown', async () => {
    const message = await loadError({ webhooks: [{ url: `ftp://open.feishu.cn/open-apis/bot/v2/hook/${TOKEN}` }] });
    expect(message).toMatch(/notify\.webhooks\.0\.url: expected an absolute http:\/\/ or https:\/\/ URL/);
    expect(message).not.toContain(TOKEN);
    expect(await loadError({ webhooks: [{ url: 'not a url' }] })).toMatch(/notify\.webhooks\.0\.url: /);
  });

  test('an unknown event names the key and the events there are', async () => {
    const message = await loadError({ webhooks: [{ url: FEISHU_URL, events: ['build-failures', 'build-fails'] }] });
    expect(message).toMatch(/notify\.webhooks\.0\.events\.1: got "build-fails"; .*"build-failures".*"built-then-withdrawn"/);
  });

  test('an unknown format names the key and the formats there are', async () => {
    const message = await loadError({ webhooks: [{ url: FEISHU_URL }, { url: FEISHU_URL, format: 'teams' }] });
    expect(message).toMatch(/notify\.webhooks\.1\.format: got "teams"; .*"json".*"feishu".*"slack"/);
  });

  test('an unknown key in a webhook is named, with the allowed ones', async () => {
    expect(await loadError({ webhooks: [{ url: FEISHU_URL, secret: 'x' }] })).toMatch(/notify\.webhooks\.0\.secret: unknown key/);
    expect(await loadError({ digest: '1h' })).toMatch(/notify\.digest: unknown key; allowed here: webhooks, every, digestEvery, lagAlarm/);
  });

  test('exactly one of url and urlEnv; secretEnv only for feishu', async () => {
    expect(await loadError({ webhooks: [{ format: 'slack' }] })).toMatch(/notify\.webhooks\.0: expected exactly one of `url` and `urlEnv`/);
    const both = await loadError({ webhooks: [{ url: FEISHU_URL, urlEnv: 'X' }] });
    expect(both).toMatch(/notify\.webhooks\.0: expected exactly one/);
    expect(both).not.toContain(TOKEN.slice(0, 8));
    expect(await loadError({ webhooks: [{ url: FEISHU_URL, format: 'slack', secretEnv: 'S' }] })).toMatch(
      /notify\.webhooks\.0\.secretEnv: only a `feishu` webhook is signed/,
    );
    expect(await loadError({ webhooks: [{ urlEnv: 'not-a-name' }] })).toMatch(/notify\.webhooks\.0\.urlEnv: .*environment variable name/);
  });

  test('a missing environment variable names its key; one holding no URL is named without its value', async () => {
    const config = await load({
      webhooks: [{ urlEnv: 'OPS_HOOK' }, { url: FEISHU_URL, format: 'feishu', secretEnv: 'OPS_SIGNING' }, { urlEnv: 'BAD_HOOK' }],
    });
    const message = resolveError(config.notify.webhooks, { BAD_HOOK: `javascript:${TOKEN}` });
    expect(message).toContain('notify.webhooks.0.urlEnv: the environment variable OPS_HOOK is not set');
    expect(message).toContain('notify.webhooks.1.secretEnv: the environment variable OPS_SIGNING is not set');
    expect(message).toMatch(/notify\.webhooks\.2\.urlEnv: BAD_HOOK holds no usable webhook URL/);
    expect(message).not.toContain(TOKEN);
    // Loading the config needs no such variable: only what sends (the notify worker, notify test) looks them up.
    expect(config.notify.webhooks).toHaveLength(3);
  });

  test('the same URL and format twice is refused; the id and label never hold the token', async () => {
    const config = await load({
      webhooks: [
        { url: FEISHU_URL, format: 'feishu' },
        { urlEnv: 'SAME', format: 'feishu' },
      ],
    });
    expect(resolveError(config.notify.webhooks, { SAME: FEISHU_URL })).toContain(
      'notify.webhooks.1: the same URL and format as notify.webhooks.0',
    );
    const [hook] = resolveWebhooks([config.notify.webhooks[0]!], {});
    expect(hook?.label).toBe('notify.webhooks.0 (feishu, https://open.feishu.cn/…)');
    expect(hook?.id).toMatch(/^w[0-9a-f]{16}$/);
    expect(`${hook?.label} ${hook?.id}`).not.toContain(TOKEN.slice(0, 8));
  });
});
