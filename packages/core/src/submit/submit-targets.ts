// The configured farm targets, by id: a submit job names one, and only config decides its arguments.

/** One entry of `submit.targets`: the `key=value` arguments that say where the farm builds. */
export interface SubmitTarget {
  /** Stable, collision-free id (see `targetId`); what job data and job ids carry. */
  readonly id: string;
  /** Passed to `submit` in this order, after `repo_addr=NAME`. */
  readonly args: Readonly<Record<string, string>>;
}

/**
 * Keys that choose where `submit` sends the job or carry the farm account and the AI secrets.
 * None may come from a target or `submit.params`: the scheduler is set by the host's lkp-tests
 * config, the secrets by the environment (into the 0600 rendered job yaml).
 */
const FORBIDDEN_KEYS: readonly RegExp[] = [/^sched_host$/i, /^sched_port$/i, /^api_key$/i, /^base_url$/i, /^ai_model$/i, /^my_/i, /^lab$/i];

/** Why `key` may not be set from a target or `submit.params`, or undefined when it may. */
export function forbiddenJobKeyReason(key: string): string | undefined {
  if (key === 'repo_addr') return 'repo_addr is set from the project name';
  if (FORBIDDEN_KEYS.some((pattern) => pattern.test(key))) {
    return (
      `${key} chooses the farm scheduler or carries an account or AI secret; it comes from lkp-tests' config or the environment, ` +
      `never from a target`
    );
  }
  return undefined;
}

/** `%`, `,` and `=` escaped in values, so `{testbox: 'vm,x=y'}` and `{testbox: 'vm', x: 'y'}` differ. */
function escapeValue(value: string): string {
  return value.replaceAll('%', '%25').replaceAll(',', '%2C').replaceAll('=', '%3D');
}

/**
 * `os_arch=aarch64,testbox=vm-2p8g`: one-to-one with the target's keys, values and order (keys are
 * letters, digits and `_.-`; values are escaped). For plain values it is what job ids always held.
 */
export function targetId(args: Readonly<Record<string, string>>): string {
  return Object.entries(args)
    .map(([key, value]) => `${key}=${escapeValue(value)}`)
    .join(',');
}

export class SubmitTargets {
  readonly all: readonly SubmitTarget[];
  readonly #byId: ReadonlyMap<string, SubmitTarget>;

  constructor(targets: ReadonlyArray<Readonly<Record<string, string>>>) {
    this.all = targets.map((args) => ({ id: targetId(args), args: { ...args } }));
    this.#byId = new Map(this.all.map((target) => [target.id, target]));
  }

  get ids(): string[] {
    return this.all.map((target) => target.id);
  }

  /**
   * The configured target a job's `target` names: an id, or (jobs queued before ids existed) a map
   * equal to a configured target. Anything else, extra keys included, is undefined.
   */
  resolve(value: unknown): SubmitTarget | undefined {
    if (typeof value === 'string') return this.#byId.get(value);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const entries = Object.entries(value as Record<string, unknown>);
    if (!entries.every(([, v]) => typeof v === 'string')) return undefined;
    return this.#byId.get(targetId(value as Record<string, string>));
  }
}
