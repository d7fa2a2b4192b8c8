// `pypi-watch notify test [--webhook N] [--json]`: a sample message to each configured webhook, and
// what each answered. Sent straight from this process (no Redis, no queue, no retries), so it also
// works while the workers are down; exit 1 when any webhook did not take it.

import { ConfigError, UsageError } from '@pypi-watch/core/errors';
import { resolveWebhooks, sendTestNotifications, type TestDelivery } from '@pypi-watch/core/notify';
import { terminalJson, terminalText } from '@pypi-watch/core/terminal-text';
import { commandContext } from '../context.js';

export async function notifyTestCommand(options: { config?: string; webhook?: string; json?: boolean }): Promise<number> {
  const { config } = commandContext(options.config, 'oneshot', 'cli');
  if (config.notify.webhooks.length === 0) throw new ConfigError('no webhooks are configured (notify.webhooks): nothing to test');
  // One webhook chosen: only its variables are needed (a shell may hold just the URL being tried).
  const only = options.webhook === undefined ? undefined : pick(config.notify.webhooks, options.webhook);
  const chosen = resolveWebhooks(config.notify.webhooks, process.env, only === undefined ? {} : { only });
  const results = await sendTestNotifications(chosen, { timeoutMs: config.notify.timeout });
  process.stdout.write(options.json ? `${terminalJson(results.map(toJson), 2)}\n` : formatResults(results));
  return results.every((result) => result.ok) ? 0 : 1;
}

/** `N` is the webhook's place in notify.webhooks (from 0, as config errors name it), or its `name`; its place is returned. */
function pick(webhooks: ReadonlyArray<{ readonly name?: string | undefined }>, wanted: string): number {
  const found = /^\d{1,4}$/.test(wanted)
    ? Number(wanted) < webhooks.length
      ? Number(wanted)
      : -1
    : webhooks.findIndex((hook) => hook.name === wanted);
  if (found === -1) {
    const names = webhooks.map((hook, index) => (hook.name === undefined ? String(index) : `${index} (${hook.name})`)).join(', ');
    throw new UsageError(`--webhook ${JSON.stringify(wanted)}: no such webhook in notify.webhooks; there are ${names}`);
  }
  return found;
}

function toJson(result: TestDelivery): Record<string, unknown> {
  const { webhook } = result;
  return {
    webhook: webhook.index,
    name: webhook.name ?? null,
    format: webhook.format,
    origin: new URL(webhook.url).origin,
    ok: result.ok,
    status: result.status ?? null,
    detail: result.detail,
  };
}

export function formatResults(results: readonly TestDelivery[]): string {
  const lines = results.map((r) => `${r.webhook.label}: ${r.ok ? 'delivered' : 'FAILED'}: ${r.detail}`);
  const failed = results.filter((r) => !r.ok).length;
  lines.push(failed === 0 ? `all ${results.length} webhook(s) took the sample` : `${failed} of ${results.length} webhook(s) failed`);
  // What a webhook answered is its own text: one escaped line each.
  return `${lines.map((line) => terminalText(line)).join('\n')}\n`;
}
