// One uPlot time chart in a container, coloured from the console theme's CSS variables, redrawn in
// place (a redraw replaces the old chart) and resized with its container.

import type UPlot from 'uplot';

export interface ChartSeries {
  readonly label: string;
  /** One per x; null draws a gap (a day without builds has no success rate). */
  readonly values: ReadonlyArray<number | null>;
  /** A theme variable without its `--` (`status-failed`). */
  readonly colour: string;
  readonly style: 'line' | 'bars' | 'dashed';
  /** Bars only: `narrow` ones stand in front of `wide` ones (failed in front of started). @defaultValue 'wide' */
  readonly width?: 'wide' | 'narrow';
  /** Bars only: stacked on the stacked series before it; the legend still shows its own value. */
  readonly stacked?: boolean;
}

export interface ChartOptions {
  /** How wide one bucket is (ms): half of one is left free at either end, so the first and last bars show whole. */
  readonly bucketMs: number;
  /** Dates in UTC (the daily buckets are UTC days), else local time. */
  readonly utc?: boolean;
  /** A fixed y range (a percentage); else from 0 to the largest value. */
  readonly yRange?: readonly [number, number];
  /** @defaultValue 190 (px) */
  readonly height?: number;
}

/** A `#rrggbb` colour at 35 % opacity (for bars others stand in front of); any other colour as it is. */
const translucent = (colour: string): string => (/^#[0-9a-f]{6}$/i.test(colour) ? `${colour}59` : colour);

const charts = new WeakMap<HTMLElement, { plot: UPlot; observer: ResizeObserver }>();

const themeColour = (name: string): string => getComputedStyle(document.documentElement).getPropertyValue(`--${name}`).trim() || '#888';

export function drawTimeChart(
  uPlotClass: typeof UPlot,
  container: HTMLElement,
  xMs: readonly number[],
  series: readonly ChartSeries[],
  options: ChartOptions,
): void {
  const previous = charts.get(container);
  previous?.observer.disconnect();
  previous?.plot.destroy();
  charts.delete(container);
  // What the chart was given, raw (not stacked): the browser test reads it back and compares with Redis.
  container.dataset.series = JSON.stringify({ x: xMs, series: Object.fromEntries(series.map((s) => [s.label, s.values])) });
  container.replaceChildren();
  if (series.length === 0 || xMs.length === 0) {
    const empty = document.createElement('p');
    empty.className = 'empty';
    empty.textContent = 'Nothing to draw yet.';
    container.append(empty);
    return;
  }

  const muted = themeColour('muted-foreground');
  const grid = themeColour('grid');
  const bars = uPlotClass.paths.bars?.({ size: [0.75, 28], align: 0 });
  const narrowBars = uPlotClass.paths.bars?.({ size: [0.4, 14], align: 0 });

  // A stacked series is drawn as itself plus the stacked ones before it; the tallest goes first, so each
  // stays visible in front of the one it stands on. Unstacked wide bars go behind everything.
  const stackedBefore = (i: number) => series.slice(0, i + 1).filter((s) => s.stacked);
  const drawn = series.map((s, i) =>
    s.stacked ? s.values.map((_, x) => stackedBefore(i).reduce((sum, below) => sum + (below.values[x] ?? 0), 0)) : s.values,
  );
  const rank = (s: ChartSeries) => (s.style === 'bars' && !s.stacked && s.width !== 'narrow' ? 0 : s.stacked ? 1 : 2);
  const order = series
    .map((s, i) => ({ s, i }))
    .sort((a, b) => rank(a.s) - rank(b.s) || (a.s.stacked && b.s.stacked ? b.i - a.i : a.i - b.i))
    .map(({ i }) => i);
  const uSeries: UPlot.Series[] = [
    {},
    ...order.map((i): UPlot.Series => {
      const s = series[i]!;
      const colour = themeColour(s.colour);
      const base: UPlot.Series = {
        label: s.label,
        stroke: colour,
        width: s.style === 'line' ? 2 : 1.5,
        spanGaps: false,
        points: { show: s.style === 'line' },
        value: (_u, _v, _series, idx) => {
          const raw = idx === null ? null : s.values[idx];
          return raw === null || raw === undefined ? '—' : String(raw);
        },
      };
      if (s.style === 'bars') {
        const path = s.width === 'narrow' || (s.stacked && series.some((o) => o.style === 'bars' && !o.stacked)) ? narrowBars : bars;
        const behind = series.length > 1 && s.width !== 'narrow' && !s.stacked;
        const fill = behind ? translucent(colour) : colour;
        return { ...base, fill, width: 0, ...(path ? { paths: path } : {}), points: { show: false } };
      }
      if (s.style === 'dashed') return { ...base, dash: [6, 4], width: 1.5, points: { show: false } };
      return base;
    }),
  ];
  const axis = (extra: Partial<UPlot.Axis> = {}): UPlot.Axis => ({
    stroke: muted,
    grid: { stroke: grid, width: 1 },
    ticks: { stroke: grid, width: 1 },
    font: '11px system-ui, sans-serif',
    ...extra,
  });
  const yRange = options.yRange;
  const pad = options.bucketMs / 2000;
  const opts: UPlot.Options = {
    width: Math.max(200, container.clientWidth),
    height: options.height ?? 190,
    series: uSeries,
    scales: {
      x: { time: true, range: (_u, min, max) => [min - pad, max + pad] },
      y: { range: yRange ? [yRange[0], yRange[1]] : (_u, _min, max) => [0, Math.max(1, Math.ceil(max * 1.1))] },
    },
    axes: [axis(), axis({ size: 44 })],
    cursor: { drag: { x: false, y: false } },
    legend: { live: true },
    ...(options.utc ? { tzDate: (ts: number) => uPlotClass.tzDate(new Date(ts * 1000), 'Etc/UTC') } : {}),
  };
  const data: UPlot.AlignedData = [xMs.map((ms) => ms / 1000), ...order.map((i) => drawn[i]!.map((v) => v))];
  const plot = new uPlotClass(opts, data, container);
  // The legend in the order the series were given (drawing order differs when stacking); uPlot keeps its
  // own references to the legend's cells, so moving the rows leaves it updating them as before.
  const rows = [...plot.root.querySelectorAll<HTMLElement>('.u-legend .u-series')];
  const body = rows[0]?.parentElement;
  if (body) for (const i of series.map((_, i) => i)) body.append(rows[1 + order.indexOf(i)]!);
  const observer = new ResizeObserver(() => {
    const width = Math.max(200, container.clientWidth);
    if (Math.abs(width - plot.width) > 2) plot.setSize({ width, height: plot.height });
  });
  observer.observe(container);
  charts.set(container, { plot, observer });
}
