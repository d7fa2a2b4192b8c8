// /report (build outcomes, as `pypi-watch report`) and /why (a release's story, as `pypi-watch why`), on the console's layout.

import {
  checkProjectName,
  invalidSubject,
  normalizeProjectName,
  parseDuration,
  splitReleaseSpec,
  type BuildReport,
  type DecisionLog,
  type Runtime,
} from '@pypi-watch/core';
import { Router, type Request } from 'express';
import { escapeHtml } from './pages/html-text.js';
import { renderPage } from './pages/page-layout.js';
import { releaseSpec, reportPageBody, sinceForm, textOf } from './pages/report-page.js';
import { storyFacts, whyForm, whyPageBody } from './pages/why-page.js';

const WHY_TITLE = 'Why was it (not) built?';

function sinceOf(req: Request): { label: string; ms: number } {
  const raw = typeof req.query.since === 'string' ? req.query.since : '7d';
  const ms = parseDuration(raw);
  return ms === undefined ? { label: '7d', ms: 7 * 86_400_000 } : { label: raw, ms };
}

/**
 * What each failed build was missing, from its story (the dependency loop records the modules it read
 * from build.log there): one story per missing-dependency failure, at most the report's 50.
 */
async function missingModulesOf(decisions: DecisionLog, report: BuildReport): Promise<Map<string, readonly string[]>> {
  const found = new Map<string, readonly string[]>();
  await Promise.all(
    report.failing
      .filter((o) => o.kind === 'missing-dependency' && textOf(o.name) !== '')
      .map(async (o) => {
        const version = textOf(o.version) || undefined;
        const story = await decisions.story(textOf(o.normalized) || normalizeProjectName(textOf(o.name)), version);
        const { missingModules } = storyFacts(story);
        if (missingModules.length) found.set(releaseSpec(o), missingModules);
      }),
  );
  return found;
}

export function reportRoutes(runtime: Runtime): Router {
  const { results, decisions, dependencies } = runtime.stores;
  const router = Router();

  router.get('/api/report', async (req, res) => {
    res.json({ ...(await results.report(Date.now() - sinceOf(req).ms)), dependencies: await dependencies.report(Date.now()) });
  });
  router.get('/report', async (req, res) => {
    const since = sinceOf(req);
    const now = Date.now();
    const [report, dependencyReport] = await Promise.all([results.report(now - since.ms), dependencies.report(now)]);
    const body = reportPageBody({
      report,
      dependencies: dependencyReport,
      since: since.label,
      missingModules: await missingModulesOf(decisions, report),
    });
    res
      .type('html')
      .send(renderPage({ title: `Builds in the last ${since.label}`, section: 'report', aside: sinceForm(since.label), body }));
  });
  router.get('/why', async (req, res) => {
    const spec = typeof req.query.name === 'string' ? req.query.name.slice(0, 300) : '';
    const page = (body: string) => renderPage({ title: WHY_TITLE, section: 'why', aside: whyForm(spec), body });
    if (spec === '') {
      return void res
        .type('html')
        .send(page('<div class="panel"><p class="empty">Name a package, or NAME==VERSION for one release.</p></div>'));
    }
    const parsed = splitReleaseSpec(spec);
    if (!parsed.ok) {
      return void res
        .status(400)
        .type('html')
        .send(page(`<div class="panel"><p id="story">Expected NAME or NAME==VERSION (${escapeHtml(parsed.reason)}).</p></div>`));
    }
    const { rawName, rawVersion: version } = parsed;
    const checked = checkProjectName(rawName);
    const story = await decisions.story(checked.ok ? checked.normalized : invalidSubject(rawName), version);
    res.type('html').send(page(whyPageBody(spec, story)));
  });
  return router;
}
