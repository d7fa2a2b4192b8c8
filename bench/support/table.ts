// Prints the benchmark rows as one aligned plain-text table.

import type { BenchResult } from './results.js';

const HEADERS = ['benchmark', 'metric', 'pypi-watch', 'baseline', 'result', 'target', 'ok'] as const;

export function printTable(results: ReadonlyArray<{ name: string; seconds: number } & BenchResult>): void {
  const lines: string[][] = [];
  for (const result of results) {
    result.rows.forEach((row, index) => {
      lines.push([
        index === 0 ? `${result.name} (${result.seconds.toFixed(0)} s)` : '',
        row.metric,
        row.measured,
        row.baseline ?? '',
        row.result ?? '',
        row.target ?? '',
        row.pass === undefined ? '' : row.pass ? 'yes' : 'MISS',
      ]);
    });
  }
  const widths = HEADERS.map((header, column) => Math.max(header.length, ...lines.map((line) => line[column]?.length ?? 0)));
  const format = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  console.log(format(HEADERS));
  console.log(format(widths.map((width) => '-'.repeat(width))));
  for (const line of lines) console.log(format(line));
}
