// `pypi-watch status [--json]`: lag, the last poll, the submit rate, backlog, last failures, gate and schedules.

// Narrow entry points: status loads neither the feed clients nor execa (start-up target: 0.4 s).
import { readStatus } from '@pypi-watch/core/status';
import { terminalJson, terminalText } from '@pypi-watch/core/terminal-text';
import { commandContext, openCommandRuntime } from '../context.js';
import { formatStatusText } from '../status-text.js';

export async function statusCommand(options: { config?: string; json?: boolean }): Promise<void> {
  const context = commandContext(options.config, 'oneshot', 'cli');
  const runtime = await openCommandRuntime(context, 'cli');
  try {
    const status = await readStatus(runtime);
    // The text escapes and bounds what came from outside line by line; the last pass is the net under it.
    process.stdout.write(options.json ? `${terminalJson(status, 2)}\n` : terminalText(formatStatusText(status), { multiline: true }));
  } finally {
    await runtime.close();
  }
}
