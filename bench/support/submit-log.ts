// What a `pypi-watch worker`'s JSON log says about its submits: when each one was spawned.

import { readFile } from 'node:fs/promises';

/** [release name, spawn time (ms)] from a worker's `submitted` log lines (`startedAt`: just before the spawn). */
export async function spawnTimes(logFile: string): Promise<[string, number][]> {
  const times: [string, number][] = [];
  for (const line of (await readFile(logFile, 'utf8')).split('\n')) {
    if (!line.includes('"msg":"submitted"')) continue;
    const { startedAt, release } = JSON.parse(line) as { startedAt?: string; release?: { name: string } };
    if (startedAt !== undefined && release !== undefined) times.push([release.name, Date.parse(startedAt)]);
  }
  return times;
}
