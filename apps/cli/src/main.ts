#!/usr/bin/env node
// Entry point of the `pypi-watch` command: runs the program and maps failures to exit codes.

import { CommanderError } from 'commander';
import { PypiWatchError, UsageError } from '@pypi-watch/core/errors';
import { terminalText } from '@pypi-watch/core/terminal-text';
import { buildProgram } from './program.js';
import { guardTerminalOutput } from './terminal-guard.js';

/** 0 done, 1 failed (or enqueue skipped invalid entries), 2 usage error. */
async function main(argv: readonly string[]): Promise<number> {
  let exitCode = 0;
  const program = buildProgram((code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0 ? 0 : 2;
    }
    // Messages quote what they refuse (a name, a version, a farm answer): escaped before they reach the terminal.
    if (error instanceof UsageError) {
      process.stderr.write(`pypi-watch: ${terminalText(error.message, { multiline: true })}\n(run \`pypi-watch --help\` for usage)\n`);
      return 2;
    }
    if (error instanceof PypiWatchError) {
      process.stderr.write(`pypi-watch: ${terminalText(error.message, { multiline: true })}\n`);
      return 1;
    }
    process.stderr.write(`pypi-watch: unexpected error: ${terminalText((error as Error).stack ?? String(error), { multiline: true })}\n`);
    return 1;
  }
}

/** How long a finished command waits for its event loop to empty before it exits anyway. */
const EXIT_GRACE_MS = 3000;

guardTerminalOutput();
process.exitCode = await main(process.argv.slice(2));
// Every command closes what it opened, so the process normally ends here by itself. A library
// can still leave a socket behind: BullMQ 6.7 may reconnect a Redis Cluster worker's blocking
// connection while the worker closes. A command that has finished must not hang a container's
// stop or a script, so it exits after a grace period, naming what was left open.
setTimeout(() => {
  const open = process.getActiveResourcesInfo().filter((kind) => kind !== 'Timeout');
  process.stderr.write(`pypi-watch: exiting; still open ${EXIT_GRACE_MS} ms after the command finished: ${open.join(', ') || 'nothing'}\n`);
  process.exit();
}, EXIT_GRACE_MS).unref();
