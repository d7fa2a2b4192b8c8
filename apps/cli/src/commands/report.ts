// `pypi-watch report [--since 7d] [--json]`: how the builds went.

import {
  formatDuration,
  parseDuration,
  terminalJson,
  terminalText,
  type BuildReport,
  type BuiltThenWithdrawnEntry,
  type DependencyReport,
  UsageError,
} from '@pypi-watch/core';
import { commandContext, openCommandRuntime } from '../context.js';

export async function reportCommand(options: { config?: string; since: string; json?: boolean }): Promise<void> {
  const sinceMs = parseDuration(options.since);
  if (sinceMs === undefined) throw new UsageError(`--since expects a duration like 7d or 12h; got ${JSON.stringify(options.since)}`);
  const context = commandContext(options.config, 'oneshot', 'cli');
  const runtime = await openCommandRuntime(context, 'cli');
  try {
    const report = await runtime.stores.results.report(Date.now() - sinceMs);
    const withdrawn = await runtime.stores.builtThenWithdrawn.since(Date.now() - sinceMs);
    // Kept for `dedupe.ttl`, not `--since`: a dependency stays wanted until it is built.
    const dependencies = await runtime.stores.dependencies.report(Date.now());
    process.stdout.write(
      options.json
        ? `${terminalJson({ ...report, builtThenWithdrawn: withdrawn, dependencies }, 2)}\n`
        : formatReport(report, options.since, withdrawn, dependencies),
    );
  } finally {
    await runtime.close();
  }
}

export function formatReport(
  report: BuildReport,
  since: string,
  withdrawn: readonly BuiltThenWithdrawnEntry[] = [],
  dependencies?: DependencyReport,
): string {
  const lines = [
    `builds finished in the last ${since}: ${report.total}`,
    `  success ${report.byStatus.success} (${(report.successRate * 100).toFixed(1)}% of decided builds; ` +
      `${report.installFailures} did not install)`,
    `  failure ${report.byStatus.failure}`,
    ...Object.entries(report.byFailureKind)
      .filter(([, count]) => count > 0)
      .sort((a, b) => b[1] - a[1])
      .map(([kind, count]) => `    ${kind.padEnd(22)} ${count}`),
    `  gave up waiting ${report.byStatus['gave-up']}, result path not mapped ${report.byStatus.unmapped}, ` +
      `result folder unreadable ${report.byStatus.unreadable ?? 0}`,
  ];
  if (withdrawn.length > 0) {
    // Operators pull these RPMs: PyPI no longer offers what the farm built.
    lines.push('', `built, then withdrawn upstream: ${withdrawn.length}`);
    for (const entry of withdrawn) {
      lines.push(`  ${entry.normalized} ${entry.version ?? '(whole project)'}  ${entry.reason}  ${new Date(entry.at).toISOString()}`);
    }
  }
  if (dependencies && dependencies.resolved + dependencies.stillMissing > 0) {
    lines.push('', `missing dependencies: ${dependencies.resolved} resolved (built), ${dependencies.stillMissing} still missing`);
    for (const d of dependencies.mostWanted) lines.push(`  ${d.project.padEnd(30)} wanted by ${d.wantedBy}  ${d.status}`);
  }
  if (report.slowest.length > 0) {
    lines.push('', 'slowest builds:');
    for (const o of report.slowest)
      lines.push(`  ${formatDuration(o.buildDurationMs ?? 0).padStart(8)}  ${o.name} ${o.version ?? ''} (${o.target})`);
  }
  if (report.failing.length > 0) {
    lines.push('', 'failing packages:');
    for (const o of report.failing) lines.push(`  ${o.name} ${o.version ?? ''}  ${o.kind ?? 'other'}  ${o.resultRoot}`);
  }
  // Names, versions, targets and result roots come from the feed and the farm: one escaped line each.
  return `${lines.map((line) => terminalText(line)).join('\n')}\n`;
}
