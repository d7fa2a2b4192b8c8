#!/usr/bin/env node
// Entry point of the `pypi-watch` command: runs the program and maps failures to exit codes.

import { CommanderError } from 'commander';
import { PypiWatchError } from '@pypi-watch/core/errors';
import { buildProgram } from './program.js';
import { UsageError } from './usage-error.js';

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
    if (error instanceof UsageError) {
      process.stderr.write(`pypi-watch: ${error.message}\n(run \`pypi-watch --help\` for usage)\n`);
      return 2;
    }
    if (error instanceof PypiWatchError) {
      process.stderr.write(`pypi-watch: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(`pypi-watch: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
