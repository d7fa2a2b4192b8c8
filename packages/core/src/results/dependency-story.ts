// The decisions the missing-dependency loop records, and how `pypi-watch why` tells them.

/**
 * What happened about one missing module, on the dependent's story (or, for `needed-by`/`unblocked`, the dependency's).
 * The decision log stores a step as its index here: only add at the end, never reorder or remove.
 */
export const DEPENDENCY_STEPS = [
  'building',
  'in-flight',
  'built-already',
  'failed-already',
  'denied',
  'unmapped',
  'cycle',
  'round-limit',
  'resubmitted',
  'dependency-failed',
  'needed-by',
  'unblocked',
] as const;
export type DependencyStep = (typeof DEPENDENCY_STEPS)[number];

export interface DependencyDecision {
  readonly kind: 'dependency';
  readonly step: DependencyStep;
  /** The missing module, as build.log named it. */
  readonly module: string;
  /** The PyPI project built (or not) for it. */
  readonly project?: string;
  /** The dependency's submit job. */
  readonly jobId?: string;
  /** The dependency's farm job, once it was built. */
  readonly farmJobId?: string;
  /** The other side: the dependent, on the dependency's story. */
  readonly dependent?: string;
  /** The filter rule, the unmapped reason, the cycle, the failure, or the round. */
  readonly detail?: string;
}

/** `failed: missing flit_core → built flit-core (job crystal.7) → resubmitted (round 1)`. */
export function describeDependencyDecision(d: DependencyDecision): string {
  const missing = `failed: missing ${d.module}`;
  const project = d.project ?? '?';
  switch (d.step) {
    case 'building':
      return `${missing} → building ${project} (submit job ${d.jobId ?? '?'})`;
    case 'in-flight':
      return `${missing} → ${project} is being built already (submit job ${d.jobId ?? '?'}); waiting for it`;
    case 'built-already':
      return (
        `${missing} → ${project} was built already (job ${d.farmJobId ?? '?'}); not built again (the module mapping or the repo ` +
        `needs a look)`
      );
    case 'failed-already':
      return `${missing} → ${project} failed to build already (${d.detail ?? 'failure'}); not built again`;
    case 'denied':
      return `${missing} → ${project} not built: filtered by ${d.detail ?? '?'}`;
    case 'unmapped':
      return `${missing} → no PyPI project for it (${d.detail ?? 'unknown'}); not built`;
    case 'cycle':
      return `${missing} → ${project} is itself waiting for this build (${d.detail ?? 'cycle'}); not built`;
    case 'round-limit':
      return `${missing} → not resubmitted: results.maxDependencyRounds (${d.detail ?? '?'}) reached`;
    case 'resubmitted':
      return `${missing} → built ${project} (job ${d.farmJobId ?? '?'}) → resubmitted (round ${d.detail ?? '?'})`;
    case 'dependency-failed':
      return `${missing} → ${project} failed too (${d.detail ?? 'failure'}); not resubmitted`;
    case 'needed-by':
      return `queued as a dependency of ${d.dependent ?? '?'} (missing ${d.module}): submit job ${d.jobId ?? '?'}`;
    case 'unblocked':
      return `built as a dependency: resubmitted ${d.dependent ?? '?'} (was missing ${d.module})`;
  }
}
