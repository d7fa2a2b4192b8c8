// The stand-in `submit` commands the benchmarks run.

import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { STANDIN_SUBMIT } from '@pypi-watch/test-utils';

/** The tests' stand-in (Node.js): ~35 ms of CPU per start on the reference machine, before it does anything. */
export const NODE_STANDIN = STANDIN_SUBMIT;

/** bench/support/fast-submit (bash): same output and STANDIN_SUBMIT_RECORD lines, ~2 ms per start. */
export const BASH_STANDIN = fileURLToPath(new URL('./fast-submit', import.meta.url));

/**
 * One stand-in run, spawned exactly as SubmitRunner spawns submit (own process group, stdin ignored,
 * output streamed rather than buffered): a baseline built on it differs from pypi-watch by the queue only.
 * Throws unless the stand-in printed an accepted job id.
 */
export async function runStandin(command: string, args: readonly string[], env: Readonly<Record<string, string>>): Promise<void> {
  const child = execa(command, [...args], { env, detached: true, stdin: 'ignore', buffer: false, reject: false });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const result = await child;
  if (result.exitCode !== 0 || !/got job id=crystal\./.test(output))
    throw new Error(`${command} failed (exit ${String(result.exitCode)}): ${output.slice(-500)}`);
}
