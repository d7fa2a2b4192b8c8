// /report (build outcomes, as `pypi-watch report`) and /why (a release's story, as `pypi-watch why`).

import {
  checkProjectName,
  describeDecision,
  invalidSubject,
  parseDuration,
  splitReleaseSpec,
  type BuildReport,
  type DependencyReport,
  type Runtime,
} from '@pypi-watch/core';
import { Router, type Request } from 'express';

const escape = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escape(title)} · pypi-watch</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}th{background:#f4f4f4}nav a{margin-right:1em}</style></head>
<body><nav><a href="ui/">Queues</a><a href="report">Build report</a><a href="why">Why?</a><a href="metrics">Metrics</a></nav>
<h1>${escape(title)}</h1>${body}</body></html>`;
}

function sinceOf(req: Request): { label: string; ms: number } {
  const raw = typeof req.query.since === 'string' ? req.query.since : '7d';
  const ms = parseDuration(raw);
  return ms === undefined ? { label: '7d', ms: 7 * 86_400_000 } : { label: raw, ms };
}

function reportHtml(report: BuildReport, since: string, dependencies: DependencyReport): string {
  const rows = (pairs: Array<[string, number | string]>) =>
    pairs.map(([k, v]) => `<tr><th>${escape(k)}</th><td>${escape(String(v))}</td></tr>`).join('');
  const kinds = Object.entries(report.byFailureKind).filter(([, n]) => n > 0);
  return `<form><label>since <input name="since" value="${escape(since)}" size="6"></label> <button>show</button></form>
<h2>Outcomes</h2><table id="outcomes">${rows([
    ['builds', report.total],
    ['success', report.byStatus.success],
    ['failure', report.byStatus.failure],
    ['gave up waiting', report.byStatus['gave-up']],
    ['result path not mapped', report.byStatus.unmapped],
    ['success rate', `${(report.successRate * 100).toFixed(1)}%`],
    ['built but did not install', report.installFailures],
  ])}</table>
<h2>Failures by kind</h2><table id="failure-kinds">${kinds.length ? rows(kinds) : '<tr><td>none</td></tr>'}</table>
<h2>Missing dependencies</h2><p id="dependencies">${dependencies.resolved} resolved (built), ${dependencies.stillMissing} still missing</p>
<table id="most-wanted">${dependencies.mostWanted
    .map((d) => `<tr><td>${escape(d.project)}</td><td>wanted by ${d.wantedBy}</td><td>${escape(d.status)}</td></tr>`)
    .join('')}</table>
<h2>Slowest builds</h2><table>${report.slowest
    .map(
      (o) =>
        `<tr><td>${escape(o.name)} ${escape(o.version ?? '')}</td><td>${Math.round((o.buildDurationMs ?? 0) / 1000)} ` +
        `s</td><td>${escape(o.target)}</td></tr>`,
    )
    .join('')}</table>
<h2>Failing packages</h2><table id="failing">${report.failing
    .map(
      (o) =>
        `<tr><td><a href="why?name=${encodeURIComponent(o.version === undefined ? o.name : `${o.name}==${o.version}`)}">` +
        `${escape(o.name)} ${escape(o.version ?? '')}</a></td><td>${escape(o.kind ?? 'other')}</td><td>${escape(o.resultRoot)}</td></tr>`,
    )
    .join('')}</table>`;
}

export function reportRoutes(runtime: Runtime): Router {
  const { results, decisions, dependencies } = runtime.stores;
  const router = Router();

  router.get('/api/report', async (req, res) => {
    res.json({ ...(await results.report(Date.now() - sinceOf(req).ms)), dependencies: await dependencies.report(Date.now()) });
  });
  router.get('/report', async (req, res) => {
    const since = sinceOf(req);
    const html = reportHtml(await results.report(Date.now() - since.ms), since.label, await dependencies.report(Date.now()));
    res.type('html').send(page(`Builds in the last ${since.label}`, html));
  });
  router.get('/why', async (req, res) => {
    const spec = typeof req.query.name === 'string' ? req.query.name.slice(0, 300) : '';
    const form =
      `<form><label>package <input name="name" value="${escape(spec)}" placeholder="NAME or NAME==VERSION" size="40"></label>` +
      ` <button>why?</button></form>`;
    if (spec === '') return void res.type('html').send(page('Why was it (not) built?', form));
    const parsed = splitReleaseSpec(spec);
    if (!parsed.ok) {
      return void res
        .status(400)
        .type('html')
        .send(page('Why was it (not) built?', `${form}<p id="story">Expected NAME or NAME==VERSION (${escape(parsed.reason)}).</p>`));
    }
    const { rawName, rawVersion: version } = parsed;
    const checked = checkProjectName(rawName);
    const story = await decisions.story(checked.ok ? checked.normalized : invalidSubject(rawName), version);
    const list = story.length
      ? `<ol id="story">${story.map((entry) => `<li>${escape(describeDecision(entry))}</li>`).join('')}</ol>`
      : `<p id="story">Nothing recorded for ${escape(spec)} within dedupe.ttl.</p>`;
    res.type('html').send(page('Why was it (not) built?', form + list));
  });
  return router;
}
