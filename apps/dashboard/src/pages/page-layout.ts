// The frame every console page shares: Bull Board's look, a header nav across the console, a theme toggle.
//
// Every link is relative (`report`, `ui/`), so the console keeps working behind a reverse proxy that
// mounts the dashboard under a path. Scripts are files of the dashboard's own (assets/…), never inline:
// the CSP allows scripts from 'self' only.

import { escapeHtml, formatCount, shareOf } from './html-text.js';

/** The console's sections, in header order. `ui/` is Bull Board. */
export const CONSOLE_NAV = [
  { id: 'overview', text: 'Overview', href: './' },
  { id: 'queues', text: 'Queues', href: 'ui/' },
  { id: 'report', text: 'Builds', href: 'report' },
  { id: 'why', text: 'Why?', href: 'why' },
  { id: 'metrics', text: 'Metrics', href: 'metrics' },
] as const;

export type ConsoleSection = (typeof CONSOLE_NAV)[number]['id'];

export interface PageOptions {
  /** Plain text: escaped here. */
  readonly title: string;
  /** Which header link is the current page. */
  readonly section: ConsoleSection;
  /** Trusted markup built by the page renderers, every piece of outside text already escaped. */
  readonly body: string;
  /** Markup on the title's line (a form), trusted as `body` is. */
  readonly aside?: string;
  /** Scripts after the body, dashboard-relative (`assets/overview.js`); ES modules when `module`. */
  readonly scripts?: ReadonlyArray<{ readonly src: string; readonly module?: boolean }>;
  /** Stylesheets besides the console's own. */
  readonly styles?: readonly string[];
}

export function renderPage(options: PageOptions): string {
  const nav = CONSOLE_NAV.map(
    (item) => `<a href="${item.href}"${item.id === options.section ? ' aria-current="page"' : ''}>${escapeHtml(item.text)}</a>`,
  ).join('');
  const styles = ['assets/console.css', ...(options.styles ?? [])].map((href) => `<link rel="stylesheet" href="${escapeHtml(href)}">`);
  const scripts = (options.scripts ?? []).map(
    (script) => `<script${script.module ? ' type="module"' : ''} src="${escapeHtml(script.src)}"></script>`,
  );
  // The theme script runs in <head>, before the first paint, so a dark choice never flashes light.
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(options.title)} · pypi-watch</title>
<link rel="icon" type="image/svg+xml" href="ui/static/images/logo.svg">
${styles.join('\n')}
<script src="assets/theme.js"></script>
</head>
<body data-section="${options.section}">
<header class="console-header">
<a class="brand" href="./"><img src="ui/static/images/logo.svg" alt="">pypi-watch</a>
<nav class="console-nav" aria-label="console">${nav}</nav>
<button type="button" class="theme-toggle" id="theme-toggle" title="Colour theme: follow the system, light or dark">Theme</button>
</header>
<main>
<div class="page-title"><h1>${escapeHtml(options.title)}</h1>${options.aside ?? ''}</div>
${options.body}
</main>
${scripts.join('\n')}
</body>
</html>
`;
}

/** One headline figure: a label, a big value and an optional note, with a coloured top edge. */
export function figure(
  id: string,
  label: string,
  value: string,
  options: { note?: string; tone?: 'ok' | 'bad' | 'warn' | 'info' | 'idle' } = {},
): string {
  const tone = options.tone ? ` tone-${options.tone}` : '';
  const note = options.note === undefined ? '' : `<span class="note">${escapeHtml(options.note)}</span>`;
  return (
    `<div class="figure${tone}" id="${id}"><span class="label">${escapeHtml(label)}</span>` +
    `<span class="value">${escapeHtml(value)}</span>${note}</div>`
  );
}

/** A titled card. `content` is trusted markup. */
export function panel(id: string, title: string, content: string): string {
  return `<section class="panel" id="${id}"><h2>${escapeHtml(title)}</h2>${content}</section>`;
}

export interface RankedBar {
  /** Plain text: escaped here. */
  readonly label: string;
  readonly value: number;
  /** How the number is shown, when not as a count (`120 s`). */
  readonly valueText?: string;
  /** Trusted markup for the label instead of `label` (a link); `label` stays the bar's title. */
  readonly labelHtml?: string;
  /** Trusted markup after the number (a status pill). */
  readonly extraHtml?: string;
  /** A colour class (`c-bad`). */
  readonly colour?: string;
}

/** Bars sized against the largest value, each with its number. `data-value` carries the number drawn. */
export function rankedBars(id: string, bars: readonly RankedBar[], empty: string): string {
  if (bars.length === 0) return `<p class="empty" id="${id}">${escapeHtml(empty)}</p>`;
  const max = Math.max(...bars.map((bar) => bar.value));
  const items = bars.map((bar) => {
    return (
      `<li class="${bar.colour ?? ''}" data-label="${escapeHtml(bar.label)}" data-value="${bar.value}">` +
      `<span class="bar-label" title="${escapeHtml(bar.label)}">${bar.labelHtml ?? escapeHtml(bar.label)}</span>` +
      `<span class="bar-track"><span class="bar-fill" style="width:${shareOf(bar.value, max)}"></span></span>` +
      `<span class="bar-value">${escapeHtml(bar.valueText ?? formatCount(bar.value))}${bar.extraHtml ?? ''}</span></li>`
    );
  });
  return `<ol class="bars" id="${id}">${items.join('')}</ol>`;
}
