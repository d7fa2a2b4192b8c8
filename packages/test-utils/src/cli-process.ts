// Runs the real `pypi-watch` command in a child process, as operators do.

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './paths.js';

/** What operators run: `node apps/cli/bin/pypi-watch.js`, which starts the build in apps/cli/dist. */
export const BIN = join(REPO_ROOT, 'apps/cli/bin/pypi-watch.js');

/**
 * Tests run the command from its TypeScript sources, as the bin would run them once built: tsx (a
 * devDependency, on no production path) compiles src/main.ts, and the `@pypi-watch/source` condition
 * makes every `@pypi-watch/*` import read src/ too. So a test always runs the code it sits beside,
 * never a dist/ left over from an earlier build; bin-dist.test.ts checks the build itself.
 */
const TSX_ARGS = ['--conditions=@pypi-watch/source', `--import=${pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href}`];
const SOURCE_ARGS = [...TSX_ARGS, join(REPO_ROOT, 'apps/cli/src/main.ts')];

/** Fixture processes (packages/test-utils/src/fixtures/) for `runFixture`. */
export const FIXTURES = {
  /** `CONFIG_FILE STEP`: one real poll that SIGKILLs itself right after STEP (a PollStep). */
  pollKilledAt: join(REPO_ROOT, 'packages/test-utils/src/fixtures/poll-killed-at.ts'),
} as const;

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  readonly cwd?: string;
  /** Added to a clean environment (PATH, HOME), not to the test runner's. */
  readonly env?: NodeJS.ProcessEnv;
  /** runCli: a command still running after this long is killed and reported with its output (default 60 s). */
  readonly timeoutMs?: number;
  /** `source` (default): src/main.ts through tsx; `bin`: apps/cli/bin/pypi-watch.js, i.e. the build in dist/. */
  readonly from?: 'source' | 'bin';
  /** Node.js options before the script, e.g. `--import` of a hook. */
  readonly nodeArgs?: readonly string[];
  /** A TypeScript entry (one of FIXTURES) to run, through tsx, instead of the command. */
  readonly script?: string;
}

function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...extra };
}

export type CliChild = ChildProcess & { readonly args: readonly string[]; output(): { stdout: string; stderr: string } };

export function spawnCli(args: readonly string[], options: CliOptions = {}): CliChild {
  const script = options.script !== undefined ? [...TSX_ARGS, options.script] : options.from === 'bin' ? [BIN] : SOURCE_ARGS;
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...script, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: childEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return Object.assign(child, { args, output: () => ({ stdout, stderr }) });
}

/** Runs one command to its end. */
export async function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const child = spawnCli(args, options);
  const code = await exitOf(child, options.timeoutMs ?? 60_000);
  return { code, ...child.output() };
}

/** Runs a fixture process (see FIXTURES) to its end, as runCli runs the command. */
export function runFixture(script: string, args: readonly string[], options: Omit<CliOptions, 'script' | 'from'> = {}): Promise<CliResult> {
  return runCli(args, { ...options, script });
}

/** Sends a signal (SIGTERM by default) and waits; returns the exit code. */
export async function stopCli(child: CliChild, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 60_000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = exitOf(child, timeoutMs);
  child.kill(signal);
  return exited;
}

/** The exit code; a command that does not exit in time is killed and fails the test with what it printed. */
async function exitOf(child: CliChild, timeoutMs: number): Promise<number | null> {
  const exited = once(child, 'exit') as Promise<[number | null]>;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  const first = await Promise.race([exited, timedOut]);
  clearTimeout(timer);
  if (first !== 'timeout') return first[0];
  child.kill('SIGKILL');
  await exited;
  const { stdout, stderr } = child.output();
  throw new Error(`pypi-watch ${child.args.join(' ')} did not exit within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`);
}
