// Progress bars on long work: `poll --since` backfills and large `enqueue -l` lists draw one on a
// terminal (stderr a TTY), erase it before the answer, and draw none when piped, in CI without a
// TTY, or with --json. The terminal is a real pseudo-terminal (util-linux `script`).

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { runCli } from '@pypi-watch/test-utils';
import { test } from '@pypi-watch/test-utils/fixtures';
import { runInTerminal } from './support/terminal.js';

const ERASE = '\r\u001b[2K';
const RELEASES = 600;

/** The first `lines` lines of a poll's text answer, less what names its batch (a time) and update list (a path). */
function pollAnswer(text: string, lines = 3): string {
  return text.split('\n').slice(0, lines).join('\n');
}

describe('progress bars', () => {
  test('poll --since: a bar over the changelog pages and the queued jobs on a terminal, erased before the answer; none piped', async ({
    pypi,
    makeCli,
  }) => {
    pypi.setChangelogPageSize(100);
    const since = pypi.lastSerial;
    pypi.publishGenerated(RELEASES, { sameSecond: 10 });
    const serials = pypi.lastSerial - since;
    const config = { source: { type: 'changelog', baseUrl: pypi.baseUrl, pagePause: 0 } };
    const onTerminal = await makeCli(config);
    const piped = await makeCli(config);
    const asJson = await makeCli(config);

    const shown = await runInTerminal(['poll', '--since', String(since), '--config', onTerminal.configFile], { env: onTerminal.env });
    expect(shown.code, shown.screen).toBe(0);
    expect(shown.screen).toContain(`${ERASE}changelog [`);
    expect(shown.screen).toMatch(new RegExp(`changelog \\[#+\\] 100% ${serials}/${serials} serials`));
    expect(shown.screen).toMatch(new RegExp(`queueing \\[#+\\] 100% ${RELEASES}/${RELEASES} jobs`));
    // Erased right before the answer, and nothing of it after.
    const answerAt = shown.screen.indexOf(`${ERASE}source changelog: `);
    expect(answerAt, shown.screen).toBeGreaterThan(0);
    const answer = shown.screen.slice(answerAt + ERASE.length);
    expect(answer).not.toContain('\u001b');
    expect(answer).not.toContain('\r');

    // Piped, in CI: the same answer, and no bar anywhere.
    const quiet = await runCli(['poll', '--since', String(since), '--config', piped.configFile], { env: { ...piped.env, CI: 'true' } });
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).toBe('');
    expect(quiet.stdout).not.toMatch(/[\r\u001b]/);
    expect(pollAnswer(quiet.stdout)).toBe(pollAnswer(answer));
    expect(pollAnswer(quiet.stdout)).toMatch(new RegExp(`queued ${RELEASES} release\\(s\\) as ${RELEASES} submit job\\(s\\)`));

    // --json on a terminal: JSON only.
    const json = await runInTerminal(['poll', '--json', '--since', String(since), '--config', asJson.configFile], { env: asJson.env });
    expect(json.code, json.screen).toBe(0);
    expect(json.screen).not.toContain('\u001b');
    expect(JSON.parse(json.screen)).toMatchObject({ queued: RELEASES, pages: Math.ceil(serials / 100) });
  }, 120_000);

  test('enqueue -l: a bar for a list of more than one chunk of jobs on a terminal; none for a few names, none piped', async ({
    makeCli,
  }) => {
    const names = Array.from({ length: 1500 }, (_, i) => `progress-pkg-${i}`);
    const onTerminal = await makeCli();
    const piped = await makeCli();
    const list = join(onTerminal.dir, 'list.txt');
    await writeFile(list, `${names.join('\n')}\n`);

    const shown = await runInTerminal(['enqueue', '-l', list, '--config', onTerminal.configFile], { env: onTerminal.env });
    expect(shown.code, shown.screen).toBe(0);
    expect(shown.screen).toMatch(/\r\u001b\[2Kqueueing \[#+-*\] {2}66% 1000\/1500 jobs/);
    expect(shown.screen).toMatch(/queueing \[#+\] 100% 1500\/1500 jobs/);
    const answerAt = shown.screen.indexOf(`${ERASE}queued 1500 submit job(s) for 1500 package(s)`);
    expect(answerAt, shown.screen).toBeGreaterThan(0);
    expect(shown.screen.slice(answerAt + ERASE.length)).not.toMatch(/[\r\u001b]/);

    const quiet = await runCli(['enqueue', '-l', list, '--config', piped.configFile], { env: piped.env });
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).toBe('');
    expect(quiet.stdout).toMatch(/^queued 1500 submit job\(s\) for 1500 package\(s\) × 1 target\(s\) in batch submit-log-\d{8}-\d{6}\n$/);

    const few = await runInTerminal(['enqueue', 'a-few', 'names', '--config', onTerminal.configFile], { env: onTerminal.env });
    expect(few.code, few.screen).toBe(0);
    expect(few.screen).toMatch(/^queued 2 submit job\(s\) for 2 package\(s\)/);
    expect(few.screen).not.toContain('\u001b');
  }, 120_000);
});
