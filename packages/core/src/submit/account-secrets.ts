// The account values submit reads from ~/.config/compass-ci/defaults, so the runner can redact them by value.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';

/**
 * Keys whose values are hunted wherever submit or Ruby might print them: the token and other
 * credentials. The account's other values (`my_name`, `my_email`, `my_account`) are redacted
 * where they are printed under their key (SecretRedactor's key rule), not hunted through all
 * output: an account named `test` would otherwise shred every result path holding "test".
 */
const SECRET_KEY = /(token|secret|password|passwd|api_key)/i;

/**
 * Secret values from `<home>/.config/compass-ci/defaults/*.yaml` (`my_token`, `my_email`, …), as
 * written (YAML's failsafe schema: `my_token: 0123` is the text `0123`, not the number 123).
 * Redacting by value catches the token however submit prints it, even in a Ruby backtrace
 * that dumps the job; short values are returned too, and SecretRedactor decides what to hunt.
 * Unreadable or unparsable files are skipped: this only adds protection.
 */
export async function loadAccountSecrets(home: string): Promise<string[]> {
  const dir = join(home, '.config', 'compass-ci', 'defaults');
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const found = new Set<string>();
  for (const name of names.filter((entry) => /\.ya?ml$/.test(entry)).sort()) {
    let value: unknown;
    try {
      value = parse(await readFile(join(dir, name), 'utf8'), { schema: 'failsafe' });
    } catch {
      continue;
    }
    collectSecrets(value, found, 0);
  }
  return [...found];
}

function collectSecrets(value: unknown, found: Set<string>, depth: number): void {
  // Account files are flat; the bound only guards against a hostile or looping document.
  if (depth > 8 || value === null || typeof value !== 'object') return;
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    if (SECRET_KEY.test(key) && typeof inner === 'string') {
      const secret = String(inner).trim();
      if (secret.length > 0) found.add(secret);
    } else {
      collectSecrets(inner, found, depth + 1);
    }
  }
}
