// What a benchmark reports: table rows (measured, baseline, ratio, target) plus raw numbers for results.json.

import type { BenchContext } from './bench-context.js';

export interface BenchRow {
  /** What was measured, e.g. `100k releases: poll vs raw addBulk`. */
  readonly metric: string;
  /** This system's number, formatted with its unit. */
  readonly measured: string;
  /** The baseline's number in the same run, when there is one. */
  readonly baseline?: string;
  /** The figure the target applies to (a ratio, bytes, …), formatted. */
  readonly result?: string;
  /** The target as text, e.g. `≥ 0.5`; absent for rows that only report. */
  readonly target?: string;
  /** Whether `result` meets `target`; absent for rows that only report. */
  readonly pass?: boolean;
}

export interface BenchResult {
  readonly rows: readonly BenchRow[];
  /** Raw numbers (ms, counts, bytes) for results.json. */
  readonly details: Record<string, unknown>;
}

export interface Benchmark {
  /** The `--only` name, also the file name: `poll-fanout`. */
  readonly name: string;
  readonly title: string;
  run(context: BenchContext): Promise<BenchResult>;
}

/** A row whose result must be at least `min`. */
export function atLeast(value: number, min: number, format: (n: number) => string = ratio): Pick<BenchRow, 'result' | 'target' | 'pass'> {
  return { result: format(value), target: `≥ ${format(min)}`, pass: value >= min };
}

/** A row whose result must be at most `max`. */
export function atMost(value: number, max: number, format: (n: number) => string = ratio): Pick<BenchRow, 'result' | 'target' | 'pass'> {
  return { result: format(value), target: `≤ ${format(max)}`, pass: value <= max };
}

/** A row whose result must lie in [min, max]. */
export function between(
  value: number,
  min: number,
  max: number,
  format: (n: number) => string = ratio,
): Pick<BenchRow, 'result' | 'target' | 'pass'> {
  return { result: format(value), target: `${format(min)}–${format(max)}`, pass: value >= min && value <= max };
}

export const ratio = (value: number): string => `${value.toFixed(2)}×`;
export const count = (value: number): string => Math.round(value).toLocaleString('en-US');
export const perSecond = (value: number, unit = '/s'): string => `${count(value)} ${unit}`;
export const millis = (ms: number): string => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);
export const megabytes = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
export const bytes = (value: number): string => `${value.toFixed(1)} B`;

/** Wall time of `fn` in ms (performance.now), with its result. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}
