// /report: build outcomes as figures, failures by kind and the most-missed modules as ranked bars,
// and the failing packages, each linked to its story, with its result path and what it was missing.
//
// Outcomes come from Redis, where anything could have been written: every text is escaped, and a field
// of the wrong type is shown as missing rather than failing the page.

import type { BuildOutcome, BuildReport, DependencyReport } from '@pypi-watch/core';
import { escapeHtml, formatCount, formatSeconds } from './html-text.js';
import { figure, panel, rankedBars, type RankedBar } from './page-layout.js';

export interface ReportPageInput {
  readonly report: BuildReport;
  readonly dependencies: DependencyReport;
  /** The `since` window as the operator wrote it (`7d`). */
  readonly since: string;
  /** Missing modules per failing build, by `releaseSpec(outcome)`, from the builds' stories. */
  readonly missingModules: ReadonlyMap<string, readonly string[]>;
}

/** Text or nothing: Redis content is not trusted to have the shape it should. */
export const textOf = (value: unknown): string => (typeof value === 'string' ? value : '');

/** `name==version`, or the name alone for an unversioned build: what /why takes. */
export function releaseSpec(outcome: Pick<BuildOutcome, 'name' | 'version'>): string {
  const name = textOf(outcome.name);
  const version = textOf(outcome.version);
  return version === '' ? name : `${name}==${version}`;
}

/** `2026-11-25 12:00Z`, or nothing for a time that is not one. */
export function shortTime(ms: unknown): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '';
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? '' : `${date.toISOString().slice(0, 16).replace('T', ' ')}Z`;
}

const WANTED_COLOUR = { built: 'c-ok', building: 'c-active', failed: 'c-bad', 'not built': 'c-idle' } as const;

export function whyLink(spec: string, html: string): string {
  return `<a href="why?name=${escapeHtml(encodeURIComponent(spec))}">${html}</a>`;
}

function outcomeFigures({ report }: ReportPageInput): string {
  const { byStatus } = report;
  const decided = byStatus.success + byStatus.failure;
  const rate = report.successRate;
  const rateTone = decided === 0 ? 'idle' : rate >= 0.9 ? 'ok' : rate >= 0.6 ? 'warn' : 'bad';
  const warnIf = (n: number) => (n > 0 ? 'warn' : 'idle');
  return `<div class="figures" id="outcomes">${[
    figure('builds', 'Builds', formatCount(report.total), { tone: 'info', note: 'finished in the window' }),
    figure('success', 'Success', formatCount(byStatus.success), { tone: 'ok' }),
    figure('failure', 'Failure', formatCount(byStatus.failure), { tone: byStatus.failure > 0 ? 'bad' : 'idle' }),
    figure('success-rate', 'Success rate', `${(rate * 100).toFixed(1)}%`, { tone: rateTone, note: `of ${formatCount(decided)} decided` }),
    figure('gave-up', 'Gave up waiting', formatCount(byStatus['gave-up']), { tone: warnIf(byStatus['gave-up']) }),
    figure('unmapped', 'Path not mapped', formatCount(byStatus.unmapped), { tone: warnIf(byStatus.unmapped) }),
    figure('unreadable', 'Unreadable', formatCount(byStatus.unreadable), { tone: byStatus.unreadable > 0 ? 'bad' : 'idle' }),
    figure('install-failures', 'Did not install', formatCount(report.installFailures), { tone: warnIf(report.installFailures) }),
  ].join('')}</div>`;
}

function failuresByKind(report: BuildReport): string {
  const bars: RankedBar[] = Object.entries(report.byFailureKind)
    .filter(([, n]) => n > 0)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([kind, n]) => ({ label: kind, value: n, colour: 'c-bad' }));
  return panel('failures-by-kind', 'Failures by kind', rankedBars('failure-kinds', bars, 'No failed builds in this window.'));
}

function mostMissed(dependencies: DependencyReport): string {
  const bars: RankedBar[] = dependencies.mostWanted.map((d) => {
    const project = textOf(d.project);
    const unmapped = project.startsWith('module:');
    const status = unmapped ? 'no PyPI project' : textOf(d.status);
    const colour = unmapped ? 'c-idle' : (WANTED_COLOUR[d.status] ?? 'c-idle');
    return {
      label: project,
      value: Number(d.wantedBy) || 0,
      colour,
      extraHtml: ` <span class="pill ${colour}">${escapeHtml(status)}</span>`,
    };
  });
  const note =
    `<p class="chart-note" id="dependencies">${formatCount(dependencies.resolved)} resolved (built), ` +
    `${formatCount(dependencies.stillMissing)} still missing. Bars: how many failed builds were missing it; build these first.</p>`;
  return panel('most-missed', 'Most-missed modules', rankedBars('most-wanted', bars, 'No build is missing a module.') + note);
}

function failingTable(report: BuildReport, missingModules: ReadonlyMap<string, readonly string[]>): string {
  if (report.failing.length === 0) return panel('failing-packages', 'Failing packages', '<p class="empty" id="failing">None.</p>');
  const rows = report.failing.map((o) => {
    const spec = releaseSpec(o);
    const modules = missingModules.get(spec) ?? [];
    const missing = modules.length ? modules.map((m) => `<code class="missing-module">${escapeHtml(m)}</code>`).join(' ') : '';
    const kind = textOf(o.kind) || (o.status === 'failure' ? 'other' : textOf(o.status));
    const label = `${escapeHtml(textOf(o.name))} ${escapeHtml(textOf(o.version))}`;
    return (
      `<tr data-spec="${escapeHtml(spec)}"><td class="nowrap">${whyLink(spec, label)}</td>` +
      `<td><span class="pill c-bad">${escapeHtml(kind)}</span></td><td>${missing}</td>` +
      `<td><code class="result-path">${escapeHtml(textOf(o.resultRoot))}</code></td>` +
      `<td class="muted">${escapeHtml(textOf(o.target))}</td><td class="muted nowrap">${escapeHtml(shortTime(o.finishedAt))}</td></tr>`
    );
  });
  return panel(
    'failing-packages',
    'Failing packages',
    `<table class="list" id="failing"><thead><tr><th>Package</th><th>Kind</th><th>Missing module</th><th>Result path</th>` +
      `<th>Target</th><th>Finished</th></tr></thead><tbody>${rows.join('')}</tbody></table>`,
  );
}

function slowest(report: BuildReport): string {
  const bars: RankedBar[] = report.slowest.flatMap((o) => {
    const seconds = Math.round((Number(o.buildDurationMs) || 0) / 1000);
    if (seconds <= 0) return [];
    const spec = releaseSpec(o);
    return {
      label: `${textOf(o.name)} ${textOf(o.version)}`.trim(),
      labelHtml: whyLink(spec, escapeHtml(`${textOf(o.name)} ${textOf(o.version)}`.trim())),
      value: seconds,
      valueText: formatSeconds(seconds),
      colour: 'c-active',
    };
  });
  return panel('slowest-builds', 'Slowest builds', rankedBars('slowest', bars, 'No build took measurable time.'));
}

export function reportPageBody(input: ReportPageInput): string {
  return (
    outcomeFigures(input) +
    `<div class="grid">${failuresByKind(input.report)}${mostMissed(input.dependencies)}</div>` +
    `<div class="grid wide">${failingTable(input.report, input.missingModules)}</div>` +
    `<div class="grid">${slowest(input.report)}</div>`
  );
}

export function sinceForm(since: string): string {
  return (
    `<form class="inline"><label class="muted" for="since">last</label>` +
    `<input id="since" name="since" value="${escapeHtml(since)}" size="6"> <button class="primary">Show</button></form>`
  );
}
