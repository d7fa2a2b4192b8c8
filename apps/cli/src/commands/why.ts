// `pypi-watch why NAME[==VERSION]`: everything pypi-watch decided about a release, and why.

import {
  checkProjectName,
  describeDecision,
  splitReleaseSpec,
  invalidSubject,
  printable,
  terminalJson,
  terminalText,
  UsageError,
} from '@pypi-watch/core';
import { commandContext, openCommandRuntime } from '../context.js';

export async function whyCommand(spec: string, options: { config?: string; json?: boolean }): Promise<void> {
  const parsed = splitReleaseSpec(spec);
  if (!parsed.ok) throw new UsageError(`expected NAME or NAME==VERSION (${parsed.reason})`);
  const { rawName, rawVersion: version } = parsed;
  const context = commandContext(options.config, 'oneshot', 'cli');
  const name = checkProjectName(rawName);
  // An invalid name has no normalized form: its story is kept under the raw text.
  const subject = name.ok ? name.normalized : invalidSubject(rawName);
  const runtime = await openCommandRuntime(context, 'cli');
  try {
    const story = await runtime.stores.decisions.story(subject, version);
    if (options.json) {
      // Versions, reasons and names come from the feed: C1 and bidi characters as \u escapes, same JSON.
      process.stdout.write(`${terminalJson({ name: rawName, version: version ?? null, story }, 2)}\n`);
      return;
    }
    const label = printable(version === undefined ? rawName : `${rawName}==${version}`);
    if (story.length === 0) {
      process.stdout.write(
        terminalText(
          `${label}: nothing recorded. pypi-watch has not seen it within dedupe.ttl` +
            `${name.ok ? '' : `, and it is not a valid PyPI project name (${name.reason})`}.`,
        ) + '\n',
      );
      return;
    }
    // One line per entry, each escaped: a yanked version can hold `ESC]0;…BEL` or a CSI sequence.
    process.stdout.write(`${label}:\n${story.map((entry) => `  ${terminalText(describeDecision(entry))}`).join('\n')}\n`);
  } finally {
    await runtime.close();
  }
}
