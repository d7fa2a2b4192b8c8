// `/`, the console's landing page: is it keeping up with PyPI, is the farm accepting submits, are
// builds succeeding, what needs a person. The server writes the frame and the data (a JSON data block);
// assets/overview.js draws figures, charts and lists from it, and refreshes them from api/overview.

import type { Overview } from '@pypi-watch/core';
import { jsonForScript } from './html-text.js';
import { panel, renderPage } from './page-layout.js';

const chart = (id: string) => `<div class="chart" id="${id}"></div>`;
const box = (id: string) => `<div id="${id}"></div>`;

/** The page's rows of two panels each: what needs a person first, then throughput, then outcomes. */
const ROWS: ReadonlyArray<ReadonlyArray<readonly [id: string, title: string, content: string]>> = [
  [
    ['attention-panel', 'Needs attention', box('attention')],
    ['backlog-panel', 'Backlog per queue', box('backlog')],
  ],
  [
    ['releases-panel', 'Releases per hour, last 48 h', chart('chart-releases')],
    ['submits-hourly-panel', 'Submits started and failed per hour, last 48 h', chart('chart-submits-hourly')],
  ],
  [
    [
      'submits-minutely-panel',
      'Submits per minute against submit.rateLimit, last hour',
      `${chart('chart-submits-minutely')}<p class="chart-note" id="limit-note"></p>`,
    ],
    ['success-daily-panel', 'Build success rate per day (UTC), last 90 days', chart('chart-success-daily')],
  ],
  [
    ['failures-daily-panel', 'Failures by kind per day, last 90 days', chart('chart-failures-daily')],
    ['failure-kinds-panel', 'Failures by kind, last 90 days', box('failure-kinds')],
  ],
];

export function overviewPage(overview: Overview): string {
  const rows = ROWS.map((row) => `<div class="grid">${row.map(([id, title, content]) => panel(id, title, content)).join('')}</div>`);
  const body = `<div class="figures" id="figures"></div>
${rows.join('\n')}
<noscript><p class="panel">The overview draws with JavaScript; <a href="api/overview">api/overview</a> has the same data.</p></noscript>
<script type="application/json" id="overview-data">${jsonForScript(overview)}</script>`;
  return renderPage({
    title: 'Overview',
    section: 'overview',
    aside: '<span class="muted"><span id="updated"></span> · <a href="api/overview">JSON</a> · <a href="ui/">Queues</a></span>',
    body,
    styles: ['assets/uplot.css'],
    scripts: [{ src: 'assets/uplot.js' }, { src: 'assets/overview.js', module: true }],
  });
}
