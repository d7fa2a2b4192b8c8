// Runs the real `pypi-watch` command on a pseudo-terminal, as an operator's shell would: util-linux
// `script` gives the child a pty for stdin, stdout and stderr, and copies what it shows to our pipe.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '@pypi-watch/test-utils';

/** As runCli runs it: src/main.ts through tsx, every `@pypi-watch/*` import from src/. */
const COMMAND = [
  process.execPath,
  '--conditions=@pypi-watch/source',
  `--import=${pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href}`,
  join(REPO_ROOT, 'apps/cli/src/main.ts'),
];

export interface TerminalResult {
  readonly code: number | null;
  /** What the terminal got, stdout and stderr in one stream, with the pty's `\r\n` line ends as `\n`. */
  readonly screen: string;
}

/** Single-quoted for `sh -c` (script runs its command through a shell); only our own paths and test arguments go here. */
function quote(arg: string): string {
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

export async function runInTerminal(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<TerminalResult> {
  const command = [...COMMAND, ...args].map(quote).join(' ');
  // -q quiet, -f flush each write, -e the child's exit code, -c the command; /dev/null: no typescript file.
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, SHELL: '/bin/sh', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let screen = '';
  child.stdout.on('data', (chunk: Buffer) => (screen += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (screen += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  // 'close', not 'exit': the pipes may still hold the last of the screen when the process is gone.
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  return { code, screen: screen.replaceAll('\r\n', '\n') };
}
