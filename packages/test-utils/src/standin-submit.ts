// Reads what the stand-in `submit` recorded: one JSON line per call.

import { readFile } from 'node:fs/promises';

export interface SubmitCall {
  readonly argv: string[];
  readonly pid: number;
  readonly home: string;
  readonly time: number;
  /** Names of secret-looking variables submit saw in its environment. */
  readonly secretEnv?: string[];
}

export async function readSubmitCalls(recordFile: string): Promise<SubmitCall[]> {
  let text: string;
  try {
    text = await readFile(recordFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as SubmitCall);
}
