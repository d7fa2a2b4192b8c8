// `pypi-watch notify test` through the real command: a sample to each webhook, what each answered,
// exit 1 when one failed, --webhook, URLs from the environment, config errors by key, no token shown.

import { describe, expect, test } from 'vitest';
import { cleanupsAfterEach, createCliSetup, runCli, startWebhookReceiver, type CliSetup } from '@pypi-watch/test-utils';

const TOKEN = 'b4d5eed-hook-token-9f8e7d6c5b4a';

const defer = cleanupsAfterEach();

const receiver = () => startWebhookReceiver(defer);

async function setupWith(notify: Record<string, unknown>): Promise<CliSetup> {
  const setup = await createCliSetup({ notify });
  defer(() => setup.remove());
  return setup;
}

describe('pypi-watch notify test', () => {
  test('sends a sample to every webhook, reports each answer, exits 1 when one failed; --webhook picks one', async () => {
    const r = await receiver();
    r.answer = (req) => (req.path.startsWith('/broken') ? { status: 500, body: 'boom' } : { status: 200, body: 'ok' });
    const setup = await setupWith({
      webhooks: [
        { name: 'ops', url: r.url(`/json/${TOKEN}`) },
        { name: 'chat', urlEnv: 'CHAT_HOOK', format: 'slack' },
        { url: r.url(`/broken/${TOKEN}`), format: 'feishu' },
      ],
    });
    const env = { ...setup.env, CHAT_HOOK: r.url(`/services/T1/B1/${TOKEN}`) };
    const cli = (...args: string[]) => runCli(['notify', 'test', '--config', setup.configFile, ...args], { env });

    const all = await cli();
    expect(all.code, all.stderr).toBe(1);
    expect(all.stdout.split('\n')).toEqual([
      `notify.webhooks.0 (ops, json, http://127.0.0.1:${r.port}/…): delivered: HTTP 200: ok`,
      `notify.webhooks.1 (chat, slack, http://127.0.0.1:${r.port}/…): delivered: HTTP 200: ok`,
      `notify.webhooks.2 (feishu, http://127.0.0.1:${r.port}/…): FAILED: HTTP 500: boom`,
      '1 of 3 webhook(s) failed',
      '',
    ]);
    expect(r.requests.map((req) => req.path)).toEqual([`/json/${TOKEN}`, `/services/T1/B1/${TOKEN}`, `/broken/${TOKEN}`]);
    expect(r.requests[0]?.json).toMatchObject({
      source: 'pypi-watch',
      event: 'test',
      state: 'test',
      title: 'pypi-watch: test notification',
    });
    expect(r.requests[1]?.json).toMatchObject({ text: expect.stringContaining('pypi-watch: test notification') });
    expect(r.requests[2]?.json).toMatchObject({
      msg_type: 'post',
      content: { post: { zh_cn: { title: 'pypi-watch: test notification' } } },
    });
    expect(`${all.stdout}${all.stderr}`).not.toContain(TOKEN);

    const one = await cli('--webhook', '1');
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toBe(
      `notify.webhooks.1 (chat, slack, http://127.0.0.1:${r.port}/…): delivered: HTTP 200: ok\nall 1 webhook(s) took the sample\n`,
    );
    const byName = await cli('--webhook', 'ops', '--json');
    expect(byName.code, byName.stderr).toBe(0);
    expect(JSON.parse(byName.stdout)).toEqual([
      { webhook: 0, name: 'ops', format: 'json', origin: `http://127.0.0.1:${r.port}`, ok: true, status: 200, detail: 'HTTP 200: ok' },
    ]);
    const missing = await cli('--webhook', '7');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--webhook "7": no such webhook in notify.webhooks; there are 0 (ops), 1 (chat), 2');
    expect(r.requests).toHaveLength(5);
  }, 60_000);

  test('a webhook that is down is reported, not retried, and the command still ends', async () => {
    const r = await receiver();
    await r.stop();
    const setup = await setupWith({ webhooks: [{ url: r.url(`/hook/${TOKEN}`) }] });
    const result = await runCli(['notify', 'test', '--config', setup.configFile], { env: setup.env });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^notify\.webhooks\.0 \(json, http:\/\/127\.0\.0\.1:\d+\/…\): FAILED: ECONNREFUSED: /);
    expect(`${result.stdout}${result.stderr}`).not.toContain(TOKEN);
  }, 60_000);

  test('config errors name the key: a missing environment variable, an unknown event, no webhooks at all', async () => {
    const unset = await setupWith({ webhooks: [{ urlEnv: 'OPS_WEBHOOK_URL', format: 'feishu', events: ['build-failures'] }] });
    const noEnv = await runCli(['notify', 'test', '--config', unset.configFile], { env: unset.env });
    expect(noEnv.code).toBe(1);
    expect(noEnv.stderr).toContain('notify.webhooks.0.urlEnv: the environment variable OPS_WEBHOOK_URL is not set');

    const unknown = await setupWith({ webhooks: [{ url: `https://hooks.slack.com/services/T/B/${TOKEN}`, events: ['build-failure'] }] });
    const bad = await runCli(['notify', 'test', '--config', unknown.configFile], { env: unknown.env });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/notify\.webhooks\.0\.events\.0: got "build-failure"; .*"build-failures"/);
    expect(bad.stderr).not.toContain(TOKEN);

    const none = await setupWith({});
    const empty = await runCli(['notify', 'test', '--config', none.configFile], { env: none.env });
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('no webhooks are configured (notify.webhooks)');
  }, 60_000);
});
