// The overview page's script: headline figures, charts (uPlot) and lists from the overview data.
//
// The first data comes in the page itself (a JSON data block, which the CSP does not govern), later
// data from api/overview every 30 s. Everything in it was read from Redis: text is only ever set with
// textContent, links only when they stay inside the dashboard. What each chart was given is left in its
// `data-series` attribute, and each figure's number in `data-value`, so a test can hold them against Redis.

import type UPlot from 'uplot';
import { ago, formatSeconds, num, safeLink, str, type LatencyData, type OverviewData } from './overview-data.js';
import { drawTimeChart, type ChartSeries } from './time-chart.js';

declare const uPlot: typeof UPlot;

const REFRESH_MS = 30_000;
const QUEUE_STATES = [
  { state: 'waiting', colour: 'c-wait' },
  { state: 'active', colour: 'c-active' },
  { state: 'delayed', colour: 'c-delayed' },
  { state: 'failed', colour: 'c-bad' },
] as const;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className = '', text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function byId(id: string): HTMLElement | undefined {
  return document.getElementById(id) ?? undefined;
}

type Tone = 'ok' | 'bad' | 'warn' | 'info' | 'idle';

/** submit.rateLimit for people: `6 / min`, or per hour or day for a farm quota below one a minute. */
function limitText(perMinute: number): string {
  const round = (n: number) => Number(n.toPrecision(3)).toLocaleString('en-US');
  if (perMinute >= 1) return `${round(perMinute)} / min`;
  if (perMinute * 60 >= 1) return `${round(perMinute * 60)} / h`;
  return `${round(perMinute * 1440)} / day`;
}

function figure(id: string, label: string, value: string, data: number | undefined, note: string, tone: Tone): HTMLElement {
  const card = el('div', `figure tone-${tone}`);
  card.id = id;
  if (data !== undefined) card.dataset.value = String(data);
  card.append(el('span', 'label', label), el('span', 'value', value), el('span', 'note', note));
  return card;
}

function latencyFigure(id: string, label: string, latency: LatencyData): HTMLElement {
  const count = num(latency.count);
  const p50 = typeof latency.p50 === 'number' ? latency.p50 : undefined;
  const p95 = typeof latency.p95 === 'number' ? latency.p95 : undefined;
  const card = figure(
    id,
    `${label}, p50`,
    p50 === undefined ? '—' : formatSeconds(p50),
    p50,
    count === 0 ? 'nothing in the last 24 h' : `p95 ${p95 === undefined ? '—' : formatSeconds(p95)} · ${count} in 24 h`,
    count === 0 ? 'idle' : 'info',
  );
  if (p95 !== undefined) card.dataset.p95 = String(p95);
  card.dataset.count = String(count);
  return card;
}

function renderFigures(data: OverviewData): void {
  const target = byId('figures');
  if (!target) return;
  const { lag, lastPoll, rate } = data;
  const lagText = lag
    ? lag.unit === 'seconds'
      ? formatSeconds(num(lag.value))
      : `${num(lag.value).toLocaleString('en-US')} serials`
    : '—';
  const poll = lastPoll
    ? figure(
        'last-poll',
        'Last poll',
        ago(num(lastPoll.at), Date.now()),
        num(lastPoll.at),
        lastPoll.ok
          ? `found ${num(lastPoll.found)}, queued ${num(lastPoll.queued)}${lastPoll.gap ? ' · feed gap' : ''}`
          : `failed: ${str(lastPoll.error) || 'no reason recorded'}`,
        lastPoll.ok ? (lastPoll.gap ? 'warn' : 'ok') : 'bad',
      )
    : figure('last-poll', 'Last poll', '—', undefined, 'no poll yet', 'warn');
  const limit = typeof rate.limitPerMinute === 'number' ? rate.limitPerMinute : undefined;
  const perMinute = num(rate.perMinute);
  const rateCard = figure(
    'submit-rate',
    'Submit rate',
    `${perMinute} / min`,
    perMinute,
    limit === undefined ? 'no submit.rateLimit' : `limit ${limitText(limit)}`,
    'info',
  );
  if (limit !== undefined) {
    rateCard.dataset.limit = String(limit);
    const gauge = el('div', 'gauge c-active');
    const fill = el('span');
    fill.style.width = `${Math.min(100, limit > 0 ? (perMinute / limit) * 100 : 0)}%`;
    gauge.append(fill);
    rateCard.insertBefore(gauge, rateCard.lastChild);
  }
  const week = data.daily.slice(-7);
  const success = week.reduce((sum, day) => sum + num(day.success), 0);
  const failure = week.reduce((sum, day) => sum + num(day.failure), 0);
  const decided = success + failure;
  const rateOfWeek = decided === 0 ? undefined : success / decided;
  target.replaceChildren(
    figure(
      'cursor-lag',
      'Cursor lag',
      lagText,
      lag ? num(lag.value) : undefined,
      lag ? `behind PyPI (${lag.unit})` : 'no poll yet',
      'info',
    ),
    poll,
    rateCard,
    latencyFigure('release-to-submit', 'Release → submit', data.latency.releaseToSubmit),
    latencyFigure('submit-to-result', 'Submit → result', data.latency.submitToResult),
    figure(
      'success-7d',
      'Success, 7 days',
      rateOfWeek === undefined ? '—' : `${(rateOfWeek * 100).toFixed(1)}%`,
      rateOfWeek,
      `${success} of ${decided} builds`,
      rateOfWeek === undefined ? 'idle' : rateOfWeek >= 0.9 ? 'ok' : rateOfWeek >= 0.6 ? 'warn' : 'bad',
    ),
  );
}

function renderAttention(data: OverviewData): void {
  const target = byId('attention');
  if (!target) return;
  if (data.attention.length === 0) {
    target.replaceChildren(el('p', 'empty', 'Nothing needs you: polls, submits and builds look fine.'));
    return;
  }
  const list = el('ul', 'attention');
  for (const item of data.attention) {
    const error = item.severity === 'error';
    const li = el('li');
    li.dataset.severity = error ? 'error' : 'warning';
    li.append(el('span', `pill ${error ? 'c-bad' : 'c-wait'}`, error ? 'error' : 'warning'));
    const link = safeLink(item.link);
    const what = link ? el('a', '', str(item.what)) : el('span', '', str(item.what));
    if (link && what instanceof HTMLAnchorElement) what.href = link;
    li.append(what);
    list.append(li);
  }
  target.replaceChildren(list);
}

/** Ranked bars drawn with the DOM: `parts` are stacked in one bar, sized against the largest total. */
function stackedBars(
  id: string,
  rows: ReadonlyArray<{ label: string; href?: string; parts: ReadonlyArray<{ name: string; value: number; colour: string }> }>,
): HTMLElement {
  const list = el('ol', 'bars');
  list.id = id;
  const max = Math.max(1, ...rows.map((row) => row.parts.reduce((sum, part) => sum + part.value, 0)));
  for (const row of rows) {
    const total = row.parts.reduce((sum, part) => sum + part.value, 0);
    const li = el('li');
    li.dataset.label = row.label;
    li.dataset.value = String(total);
    const label = row.href ? el('a', 'bar-label', row.label) : el('span', 'bar-label', row.label);
    if (row.href && label instanceof HTMLAnchorElement) label.href = row.href;
    const track = el('span', 'bar-track');
    for (const part of row.parts) {
      li.dataset[part.name] = String(part.value);
      if (part.value <= 0) continue;
      const fill = el('span', `bar-fill ${part.colour}`);
      fill.style.width = `${(part.value / max) * 100}%`;
      fill.title = `${part.name}: ${part.value}`;
      track.append(fill);
    }
    li.append(label, track, el('span', 'bar-value', total.toLocaleString('en-US')));
    list.append(li);
  }
  return list;
}

function legend(items: ReadonlyArray<{ name: string; colour: string }>): HTMLElement {
  const list = el('ul', 'legend');
  for (const item of items) list.append(el('li', item.colour, item.name));
  return list;
}

function renderBacklog(data: OverviewData): void {
  const target = byId('backlog');
  if (!target) return;
  const rows = Object.entries(data.backlog).map(([queue, counts]) => ({
    label: queue,
    href: `ui/queue/${encodeURIComponent(queue)}`,
    parts: QUEUE_STATES.map(({ state, colour }) => ({ name: state, value: num(counts[state]), colour })),
  }));
  target.replaceChildren(stackedBars('backlog-bars', rows), legend(QUEUE_STATES.map(({ state, colour }) => ({ name: state, colour }))));
}

function renderFailureKinds(data: OverviewData): void {
  const target = byId('failure-kinds');
  if (!target) return;
  const totals = new Map<string, number>();
  for (const day of data.daily)
    for (const [kind, n] of Object.entries(day.failureKinds)) totals.set(kind, (totals.get(kind) ?? 0) + num(n));
  const rows = [...totals]
    .filter(([, n]) => n > 0)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([kind, n]) => ({ label: kind, parts: [{ name: 'failed', value: n, colour: 'c-bad' }] }));
  target.replaceChildren(rows.length ? stackedBars('failure-kind-bars', rows) : el('p', 'empty', 'No failed builds in 90 days.'));
}

/** Failure kinds in a stable order (most failures first), for the per-day stacked chart. */
function kindsOf(data: OverviewData): string[] {
  const totals = new Map<string, number>();
  for (const day of data.daily)
    for (const [kind, n] of Object.entries(day.failureKinds)) totals.set(kind, (totals.get(kind) ?? 0) + num(n));
  return [...totals]
    .filter(([, n]) => n > 0)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([kind]) => kind);
}

const KIND_COLOURS = ['status-failed', 'status-waiting', 'status-delayed', 'status-prioritized', 'status-active', 'status-paused'];

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

function renderCharts(data: OverviewData): void {
  const hours = data.hourly.map((h) => num(h.at));
  const pick = <T>(rows: readonly T[], field: (row: T) => unknown) => rows.map((row) => num(field(row)));
  const chart = (id: string, x: number[], series: ChartSeries[], options: Parameters<typeof drawTimeChart>[4]) => {
    const container = byId(id);
    if (container) drawTimeChart(uPlot, container, x, series, options);
  };
  // Found behind, what became of them stacked in front: queued, waiting for an sdist, filtered, superseded.
  chart(
    'chart-releases',
    hours,
    [
      { label: 'found', values: pick(data.hourly, (h) => h.found), colour: 'status-active', style: 'bars' },
      { label: 'queued', values: pick(data.hourly, (h) => h.queued), colour: 'status-completed', style: 'bars', stacked: true },
      { label: 'waiting', values: pick(data.hourly, (h) => h.waiting), colour: 'status-waiting', style: 'bars', stacked: true },
      { label: 'filtered', values: pick(data.hourly, (h) => h.filtered), colour: 'status-paused', style: 'bars', stacked: true },
      { label: 'superseded', values: pick(data.hourly, (h) => h.superseded), colour: 'status-delayed', style: 'bars', stacked: true },
    ],
    { bucketMs: HOUR_MS },
  );
  chart(
    'chart-submits-hourly',
    hours,
    [
      { label: 'started', values: pick(data.hourly, (h) => h.submitsStarted), colour: 'status-active', style: 'bars' },
      { label: 'failed', values: pick(data.hourly, (h) => h.submitsFailed), colour: 'status-failed', style: 'bars', width: 'narrow' },
    ],
    { bucketMs: HOUR_MS },
  );
  const minutes = data.minutely.map((m) => num(m.at));
  const started = pick(data.minutely, (m) => m.submitsStarted);
  const limit = typeof data.rate.limitPerMinute === 'number' ? data.rate.limitPerMinute : undefined;
  const peak = Math.max(0, ...started);
  // A limit far above the traffic would flatten the bars to nothing: then it is said, not drawn.
  const drawLimit = limit !== undefined && peak >= limit / 4;
  chart(
    'chart-submits-minutely',
    minutes,
    [
      { label: 'started', values: started, colour: 'status-active', style: 'bars' },
      { label: 'failed', values: pick(data.minutely, (m) => m.submitsFailed), colour: 'status-failed', style: 'bars', width: 'narrow' },
      ...(drawLimit ? [{ label: 'limit', values: minutes.map(() => limit), colour: 'muted-foreground', style: 'dashed' as const }] : []),
    ],
    { bucketMs: MINUTE_MS },
  );
  const limitNote = byId('limit-note');
  if (limitNote) {
    limitNote.textContent =
      limit === undefined
        ? 'No submit.rateLimit.'
        : drawLimit
          ? `Dashed: submit.rateLimit, ${limitText(limit)}.`
          : `submit.rateLimit: ${limitText(limit)}, far above this hour's peak of ${peak} / min (not drawn).`;
  }
  const days = data.daily.map((d) => num(d.at));
  chart(
    'chart-success-daily',
    days,
    [
      {
        label: 'success rate %',
        values: data.daily.map((d) => {
          const decided = num(d.success) + num(d.failure);
          return decided === 0 ? null : Math.round((num(d.success) / decided) * 1000) / 10;
        }),
        colour: 'status-completed',
        style: 'bars',
      },
    ],
    { bucketMs: DAY_MS, utc: true, yRange: [0, 100] },
  );
  const kinds = kindsOf(data);
  chart(
    'chart-failures-daily',
    days,
    kinds.map((kind, i) => ({
      label: kind,
      values: data.daily.map((d) => num(d.failureKinds[kind])),
      colour: KIND_COLOURS[i % KIND_COLOURS.length] ?? 'status-failed',
      style: 'bars' as const,
      stacked: true,
    })),
    { bucketMs: DAY_MS, utc: true },
  );
}

function render(data: OverviewData): void {
  renderFigures(data);
  renderAttention(data);
  renderBacklog(data);
  renderFailureKinds(data);
  renderCharts(data);
  const updated = byId('updated');
  if (updated) {
    updated.textContent = `updated ${new Date(num(data.generatedAt)).toLocaleTimeString()}`;
    updated.dataset.generatedAt = String(num(data.generatedAt));
  }
  document.body.dataset.overviewDrawn = String(num(data.generatedAt));
}

let current: OverviewData | undefined;

function start(): void {
  const block = byId('overview-data');
  try {
    current = JSON.parse(block?.textContent ?? 'null') as OverviewData;
  } catch {
    current = undefined;
  }
  if (current) render(current);
  // Colours come from the theme's CSS variables: a theme switch redraws with the new ones.
  document.addEventListener('console-theme', () => current && renderCharts(current));
  setInterval(() => {
    fetch('api/overview', { headers: { accept: 'application/json' }, credentials: 'same-origin' })
      .then((response) => (response.ok ? (response.json() as Promise<OverviewData>) : Promise.reject(new Error(String(response.status)))))
      .then((data) => {
        current = data;
        render(data);
      })
      .catch(() => {
        const updated = byId('updated');
        if (updated) updated.textContent = 'could not refresh; showing older data';
      });
  }, REFRESH_MS);
}

start();
