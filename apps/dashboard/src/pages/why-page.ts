// /why: a release's story as a timeline, oldest first, with its result paths and missing modules up front.
//
// Each line is `pypi-watch why`'s own wording (describeDecision); the entries come from Redis, so
// every text is escaped and an entry that cannot be told is shown as such instead of failing the page.

import { describeDecision, type DecisionLog } from '@pypi-watch/core';
import { escapeHtml } from './html-text.js';
import { panel } from './page-layout.js';
import { shortTime, textOf } from './report-page.js';

export type StoryEntry = Awaited<ReturnType<DecisionLog['story']>>[number];

type Decision = StoryEntry['decision'];

const QUIET_STEPS = new Set(['needed-by', 'unblocked', 'resubmitted', 'building', 'in-flight']);

/** The colour class of a step: green built, red failed, amber waiting, blue in the pipeline, grey not built. */
function colourOf(d: Decision): string {
  switch (d.kind) {
    case 'queued':
    case 'submitted':
    case 'resubmitted':
      return 'c-active';
    case 'result':
      return d.status === 'success' ? 'c-ok' : d.status === 'failure' ? 'c-bad' : 'c-wait';
    case 'submit-failed':
      return d.final ? 'c-bad' : 'c-wait';
    case 'waiting':
    case 'held':
      return 'c-wait';
    case 'withdrawn':
      return d.afterSubmit ? 'c-bad' : 'c-wait';
    case 'restored':
      return 'c-ok';
    case 'dependency':
      return QUIET_STEPS.has(d.step) ? 'c-extra' : 'c-wait';
    default:
      return 'c-idle';
  }
}

/** describeDecision's line without its leading `TIME VERSION: `, which the timeline shows apart. */
function whatHappened(entry: StoryEntry): string {
  try {
    const line = describeDecision(entry);
    const prefix = `${new Date(entry.at).toISOString()}${entry.version === undefined ? '' : ` ${entry.version}`}: `;
    return line.startsWith(prefix) ? line.slice(prefix.length) : line;
  } catch {
    return 'an entry pypi-watch cannot read';
  }
}

const unique = (values: readonly string[]): string[] => [...new Set(values.filter((v) => v !== ''))];

/** The result paths and missing modules a story names, for the summary above the timeline. */
export function storyFacts(story: readonly StoryEntry[]): { resultPaths: string[]; missingModules: string[]; farmJobs: string[] } {
  const resultPaths: string[] = [];
  const missingModules: string[] = [];
  const farmJobs: string[] = [];
  for (const { decision: d } of story) {
    if (d.kind === 'submitted') {
      resultPaths.push(textOf(d.resultRoot));
      farmJobs.push(textOf(d.farmJobId));
    }
    // On a dependency's own story, `needed-by`/`unblocked` name what its dependent missed, not what it missed.
    if (d.kind === 'dependency' && d.step !== 'needed-by' && d.step !== 'unblocked') missingModules.push(textOf(d.module));
  }
  return { resultPaths: unique(resultPaths), missingModules: unique(missingModules), farmJobs: unique(farmJobs) };
}

function facts(story: readonly StoryEntry[]): string {
  const { resultPaths, missingModules, farmJobs } = storyFacts(story);
  const list = (id: string, items: string[], none: string) =>
    items.length
      ? items.map((item) => `<div class="fact"><code class="${id}">${escapeHtml(item)}</code></div>`).join('')
      : `<span class="muted">${none}</span>`;
  const last = story.at(-1);
  const latest = last ? `<span class="pill ${colourOf(last.decision)}">${escapeHtml(textOf(last.decision.kind))}</span>` : '';
  return panel(
    'story-facts',
    'At a glance',
    `<table class="list"><tbody>` +
      `<tr><th>Latest step</th><td>${latest} ${last ? escapeHtml(whatHappened(last)) : ''}</td></tr>` +
      `<tr><th>Result path</th><td id="result-paths">${list('result-path', resultPaths, 'not submitted')}</td></tr>` +
      `<tr><th>Farm job</th><td>${list('farm-job', farmJobs, 'none')}</td></tr>` +
      `<tr><th>Missing module</th><td id="missing-modules">${list('missing-module', missingModules, 'none found in build.log')}</td></tr>` +
      `</tbody></table>`,
  );
}

function timeline(story: readonly StoryEntry[]): string {
  const items = story.map((entry) => {
    const colour = colourOf(entry.decision);
    const version = entry.version === undefined ? '' : `<span>${escapeHtml(textOf(entry.version))}</span>`;
    const kind = escapeHtml(textOf(entry.decision.kind));
    return (
      `<li class="${colour}" data-kind="${kind}"><div class="when">` +
      `<time>${escapeHtml(shortTime(entry.at))}</time>${version}<span class="pill ${colour}">${kind}</span>` +
      `</div><p class="what">${escapeHtml(whatHappened(entry))}</p></li>`
    );
  });
  return panel('story-timeline', 'Timeline, oldest first', `<ol class="timeline" id="story">${items.join('')}</ol>`);
}

export function whyForm(spec: string): string {
  return (
    `<form class="inline"><label class="muted" for="name">package</label>` +
    `<input id="name" name="name" value="${escapeHtml(spec)}" placeholder="NAME or NAME==VERSION" size="36">` +
    ` <button class="primary">Why?</button></form>`
  );
}

export function whyPageBody(spec: string, story: readonly StoryEntry[]): string {
  if (story.length === 0) {
    return `<div class="panel"><p id="story" class="empty">Nothing recorded for ${escapeHtml(spec)} within dedupe.ttl.</p></div>`;
  }
  return `<div class="split">${timeline(story)}${facts(story)}</div>`;
}
