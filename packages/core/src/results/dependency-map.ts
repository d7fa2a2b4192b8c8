// Which PyPI project provides a missing module: an alias (config first, then the shipped table),
// the module's own name, then its top-level package; `filters.allowFile` breaks the tie.

import { checkProjectName } from '../release/project-name.js';
import { NOT_ON_PYPI, SHIPPED_MODULE_ALIASES } from './module-aliases.js';

export interface DependencyMapOptions {
  /** `results.moduleAliases`: import name → project, consulted before the shipped table. @defaultValue none */
  readonly aliases?: Readonly<Record<string, string>>;
  /** Normalized names from `filters.allowFile`: a candidate listed there is preferred. @defaultValue no hint */
  readonly allowNames?: ReadonlySet<string>;
  /** The failed build's own project: its own modules are not a dependency. @defaultValue none */
  readonly self?: string;
}

/** How the project was found: `alias` (config or shipped), `name` (the module's own), `top-level`, with `allowFile` when that decided. */
export type MappedVia = 'alias' | 'name' | 'top-level';

export type ModuleMapping =
  | {
      readonly module: string;
      readonly ok: true;
      readonly project: string;
      readonly normalized: string;
      readonly via: MappedVia;
      readonly allowFile?: true;
    }
  | { readonly module: string; readonly ok: false; readonly reason: 'not-on-pypi' | 'own-module' | 'no-project-name' };

interface Candidate {
  readonly project: string;
  readonly normalized: string;
  readonly via: MappedVia;
}

/** The project for `module`, or why there is none. Pure: no PyPI lookup (a wrong guess fails its build, and says so). */
export function mapModuleToProject(module: string, options: DependencyMapOptions = {}): ModuleMapping {
  const topLevel = module.split('.')[0] ?? module;
  if (NOT_ON_PYPI.has(topLevel)) return { module, ok: false, reason: 'not-on-pypi' };
  const candidates = candidatesFor(module, topLevel, options.aliases ?? {});
  const others = candidates.filter((c) => c.normalized !== options.self);
  if (others.length === 0) return { module, ok: false, reason: candidates.length > 0 ? 'own-module' : 'no-project-name' };
  const listed = options.allowNames ? others.find((c) => options.allowNames!.has(c.normalized)) : undefined;
  const chosen = listed ?? others[0]!;
  return {
    module,
    ok: true,
    project: chosen.project,
    normalized: chosen.normalized,
    via: chosen.via,
    ...(listed ? { allowFile: true } : {}),
  };
}

function candidatesFor(module: string, topLevel: string, aliases: Readonly<Record<string, string>>): Candidate[] {
  const found: Candidate[] = [];
  const add = (raw: string | undefined, via: MappedVia): void => {
    if (raw === undefined) return;
    const checked = checkProjectName(raw);
    if (checked.ok && !found.some((c) => c.normalized === checked.normalized)) {
      found.push({ project: checked.name, normalized: checked.normalized, via });
    }
  };
  const alias = (name: string): string | undefined =>
    Object.hasOwn(aliases, name) ? aliases[name] : Object.hasOwn(SHIPPED_MODULE_ALIASES, name) ? SHIPPED_MODULE_ALIASES[name] : undefined;
  add(alias(module), 'alias');
  // A dotted module's own name is rarely a project (`google.protobuf` is not `google-protobuf`) unless aliased.
  if (module === topLevel) add(module, 'name');
  if (module !== topLevel) add(alias(topLevel), 'alias');
  add(topLevel, 'top-level');
  return found;
}
