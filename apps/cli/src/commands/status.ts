// `pypi-watch status [--json]`: lag, the last poll, the submit rate, backlog, last failures, gate and schedules.

// Narrow entry points: status loads neither BullMQ, the feed clients nor execa (start-up target:
// 0.4 s), and `--json` not the text layout either (string-width alone takes ~70 ms to load).
import { createStatusStores, readStatus } from '@pypi-watch/core/status';
import { terminalJson, terminalText } from '@pypi-watch/core/terminal-text';
import { commandContext, openCommandConnection } from '../context.js';

export async function statusCommand(options: { config?: string; json?: boolean }): Promise<void> {
  const context = commandContext(options.config, 'oneshot', 'cli');
  const connection = await openCommandConnection(context, 'cli');
  try {
    const status = await readStatus({ ...connection, stores: createStatusStores(connection.config, connection.redis) });
    if (options.json) {
      process.stdout.write(`${terminalJson(status, 2)}\n`);
    } else {
      const { formatStatusText } = await import('../status-text.js');
      // The text escapes and bounds what came from outside line by line; the last pass is the net under it.
      process.stdout.write(terminalText(formatStatusText(status), { multiline: true }));
    }
  } finally {
    await connection.close();
  }
}
