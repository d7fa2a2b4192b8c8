// The missing-dependency loop as config says: the poll's filters (and allow file), the aliases,
// the round limit. Kept apart so the loop itself takes plain options in tests.

import type { Queue } from 'bullmq';
import type { Config } from '../config/load-config.js';
import { loadAllowFile, ReleaseFilter } from '../release/release-filter.js';
import type { Stores } from '../wiring/create-stores.js';
import { DependencyLoop } from './dependency-loop.js';

export async function dependencyLoopFromConfig(
  config: Config,
  stores: Pick<Stores, 'dependencies' | 'decisions'>,
  submitQueue: Queue,
): Promise<DependencyLoop> {
  const allowNames = config.filters.allowFile === undefined ? undefined : await loadAllowFile(config.filters.allowFile);
  const filter = new ReleaseFilter({
    prereleases: config.filters.prereleases,
    deny: config.filters.deny,
    allow: config.filters.allow,
    ...(allowNames === undefined ? {} : { allowNames }),
  });
  return new DependencyLoop({
    store: stores.dependencies,
    decisions: stores.decisions,
    submitQueue,
    filter,
    maxRounds: config.results.maxDependencyRounds,
    aliases: config.results.moduleAliases,
    ...(allowNames === undefined ? {} : { allowNames }),
  });
}
