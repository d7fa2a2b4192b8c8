// What each changelog action PyPI writes means for building. The strings are warehouse's own:
// `add {python_version} file {filename}` (warehouse/forklift/legacy.py; python_version is `source`
// for an sdist), `yank release`/`unyank release` (warehouse/manage/views), `remove release`,
// `remove project` and the quarantine actions (warehouse/utils/project.py).

import type { ReleaseAction, WithdrawalReason } from './release-source.js';

export interface ActionMeaning {
  readonly action: ReleaseAction;
  readonly reason?: WithdrawalReason;
  /** The action concerns the whole project: PyPI sends no version (`<nil/>`), and the event's version is `''`. */
  readonly projectLevel?: true;
}

const EXACT: ReadonlyMap<string, ActionMeaning> = new Map<string, ActionMeaning>([
  ['new release', { action: 'new' }],
  ['yank release', { action: 'withdrawn', reason: 'yanked' }],
  ['remove release', { action: 'withdrawn', reason: 'removed' }],
  ['release quarantined', { action: 'withdrawn', reason: 'quarantined' }],
  ['remove project', { action: 'withdrawn', reason: 'removed', projectLevel: true }],
  ['project quarantined', { action: 'withdrawn', reason: 'quarantined', projectLevel: true }],
  ['unyank release', { action: 'restored', reason: 'yanked' }],
  ['release quarantine cleared', { action: 'restored', reason: 'quarantined' }],
  ['project quarantine cleared', { action: 'restored', reason: 'quarantined', projectLevel: true }],
]);

// `add source file foo-1.0.tar.gz`, `add py3 file foo-1.0-py3-none-any.whl`, `add 3.7 file foo.egg`:
// the python version is one token, the filename the rest. `add Owner alice` has no ` file ` part.
const ADD_FILE = /^add (\S+) file \S/;

/**
 * The meaning of one action, or undefined for those that only move the serial on: `remove file …`
 * (a later `remove release` is what withdraws), `create`, role changes, and the legacy `update …`/`docupdate`.
 */
export function meaningOf(action: string): ActionMeaning | undefined {
  const exact = EXACT.get(action);
  if (exact) return exact;
  const file = ADD_FILE.exec(action);
  if (file) return { action: file[1] === 'source' ? 'sdist' : 'file' };
  return undefined;
}
