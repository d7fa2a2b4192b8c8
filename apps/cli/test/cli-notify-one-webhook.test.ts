// `pypi-watch notify test --webhook N` checks that one webhook: it needs that webhook's URL (and
// secret) in the environment, not every other webhook's, so an operator can try a new webhook from a
// shell that holds only its URL. Without --webhook, every webhook's variables are still required.

import { describe, expect, test } from 'vitest';
import { cleanupsAfterEach, createCliSetup, runCli, startWebhookReceiver, type CliSetup } from '@pypi-watch/test-utils';

const defer = cleanupsAfterEach();

describe('pypi-watch notify test --webhook', () => {
  test("needs only the chosen webhook's variables", async () => {
    const r = await startWebhookReceiver(defer);
    const setup: CliSetup = await createCliSetup({
      notify: {
        webhooks: [
          { name: 'ops', urlEnv: 'OPS_HOOK', format: 'feishu', secretEnv: 'OPS_SECRET' },
          { name: 'chat', urlEnv: 'CHAT_HOOK', format: 'slack' },
        ],
      },
    });
    defer(() => setup.remove());
    const env = { ...setup.env, CHAT_HOOK: r.url('/services/T1/B1/token-for-chat') };
    const cli = (...args: string[]) => runCli(['notify', 'test', '--config', setup.configFile, ...args], { env });

    for (const chosen of ['1', 'chat']) {
      const one = await cli('--webhook', chosen);
      expect(one.code, one.stderr).toBe(0);
      expect(one.stdout).toBe(
        `notify.webhooks.1 (chat, slack, http://127.0.0.1:${r.port}/…): delivered: HTTP 200: ok\nall 1 webhook(s) took the sample\n`,
      );
    }
    expect(r.requests).toHaveLength(2);

    // The chosen one's own variables are still checked, by key.
    const ops = await cli('--webhook', 'ops');
    expect(ops.code).toBe(1);
    expect(ops.stderr).toContain('notify.webhooks.0.urlEnv: the environment variable OPS_HOOK is not set');
    expect(ops.stderr).not.toContain('CHAT_HOOK');
    // All of them: every missing variable is named.
    const all = await cli();
    expect(all.code).toBe(1);
    expect(all.stderr).toContain('notify.webhooks.0.urlEnv: the environment variable OPS_HOOK is not set');
    // A webhook that does not exist is still a usage error.
    expect((await cli('--webhook', '2')).code).toBe(2);
    expect(r.requests).toHaveLength(2);
  }, 60_000);
});
