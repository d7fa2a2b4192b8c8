// A one-line progress bar on stderr for long CLI work (a changelog backfill, a large enqueue): drawn
// only on a terminal, redrawn in place, erased when the work ends so the command's answer starts clean.
//
// Written here, not taken from a library: every string this CLI writes passes the terminal guard,
// which shows `\r` and ANSI codes as visible escapes (terminal-guard.ts), so the bar must write its
// few control bytes as a Buffer itself; and a bar of counts is ~60 lines, less than a dependency.
// It shows counts and its own labels only, nothing from outside, so it has nothing to escape.

import { performance } from 'node:perf_hooks';

/** What core's `onProgress` reports (packages/core/src/progress/work-progress.ts), by shape. */
export interface WorkProgress {
  readonly phase: 'changelog' | 'enqueue';
  readonly done: number;
  readonly total: number;
}

/** What each phase counts, as the bar names it. */
const PHASES: Record<WorkProgress['phase'], { readonly label: string; readonly unit: string }> = {
  changelog: { label: 'changelog', unit: 'serials' },
  enqueue: { label: 'queueing', unit: 'jobs' },
};

/** Redraws at most this often (a page or a chunk can take a few ms); the first and the last always show. */
const REDRAW_MS = 100;
const ERASE_LINE = '\r\x1b[2K';

export interface ProgressBarOptions {
  /** @defaultValue process.stderr */
  readonly stream?: NodeJS.WriteStream;
  /** `--json`: machine output wants no bar, even on a terminal. @defaultValue false */
  readonly json?: boolean;
  /** Work smaller than this draws nothing (a bar that flashes once says nothing). @defaultValue 0 */
  readonly minTotal?: number;
}

export interface ProgressBar {
  /** For `onProgress` of core's long work. */
  readonly update: (progress: WorkProgress) => void;
  /** Erases the bar, if one was drawn: call it when the work ends, however it ends. */
  end(): void;
}

/** A bar on a terminal (stderr a TTY, not `--json`, not TERM=dumb); on a pipe, in CI without a TTY or with --json, one that draws nothing. */
export function progressBar(options: ProgressBarOptions = {}): ProgressBar {
  const stream = options.stream ?? process.stderr;
  if (stream.isTTY !== true || options.json === true || process.env.TERM === 'dumb') return { update: () => {}, end: () => {} };
  const minTotal = options.minTotal ?? 0;
  let drawn = false;
  let lastDraw = -Infinity;
  let lastPhase: WorkProgress['phase'] | undefined;
  const write = (text: string): void => void stream.write(Buffer.from(text));
  return {
    update: (progress) => {
      if (progress.total < minTotal || progress.total <= 0) return;
      const now = performance.now();
      const finished = progress.done >= progress.total;
      if (!finished && progress.phase === lastPhase && now - lastDraw < REDRAW_MS) return;
      lastDraw = now;
      lastPhase = progress.phase;
      drawn = true;
      write(ERASE_LINE + renderBar(progress, stream.columns));
    },
    end: () => {
      if (drawn) write(ERASE_LINE);
      drawn = false;
    },
  };
}

/** `changelog [#######---------]  41% 20500/50000 serials`, fitted to the terminal's width. */
export function renderBar(progress: WorkProgress, columns: number | undefined): string {
  const { label, unit } = PHASES[progress.phase];
  const done = Math.min(Math.max(0, progress.done), progress.total);
  const fraction = progress.total > 0 ? done / progress.total : 1;
  const tail = ` ${String(Math.floor(fraction * 100)).padStart(3)}% ${done}/${progress.total} ${unit}`;
  // One column short of the width: writing the last column makes some terminals wrap.
  const width = Math.min(columns !== undefined && columns > 0 ? columns : 80, 100) - 1;
  const barWidth = Math.max(10, width - label.length - tail.length - 3);
  const filled = Math.round(fraction * barWidth);
  return `${label} [${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]${tail}`;
}
