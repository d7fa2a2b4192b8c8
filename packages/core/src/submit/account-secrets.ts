// The account values submit reads from ~/.config/compass-ci/defaults, so the runner can redact them by value.

import { readdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { parse } from '#yaml';

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
 *
 * Every submit asks; the files are parsed again only when one changed (a file added or removed, or
 * its inode, size, mtime or ctime), so a renewed token is redacted from the next submit on, and an
 * unchanged account costs a readdir and a stat per file (synchronous: a few µs on a local disk,
 * where the thread pool's round trips cost more than the calls).
 */
export class AccountSecrets {
  readonly #dir: string;
  #signature: string | undefined;
  #secrets: readonly string[] = [];

  constructor(home: string) {
    this.#dir = join(home, '.config', 'compass-ci', 'defaults');
  }

  current(): readonly string[] {
    let names: string[];
    try {
      names = readdirSync(this.#dir)
        .filter((entry) => /\.ya?ml$/.test(entry))
        .sort();
    } catch {
      return this.#keep('', []);
    }
    // Regular files only: a FIFO named like an account file would block the read (and this worker) for good.
    const files: string[] = [];
    const parts: string[] = [];
    for (const name of names) {
      const path = join(this.#dir, name);
      let stat: Stats | undefined;
      try {
        stat = statSync(path);
      } catch {
        // Gone, a symlink loop, no permission: not readable, so nothing to redact from it.
      }
      if (stat === undefined || !stat.isFile()) continue;
      files.push(path);
      parts.push(`${path}:${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}`);
    }
    const signature = parts.join('\n');
    if (signature === this.#signature) return this.#secrets;
    const found = new Set<string>();
    for (const path of files) {
      let value: unknown;
      try {
        value = parse(readFileSync(path, 'utf8'), { schema: 'failsafe' });
      } catch {
        continue;
      }
      collectSecrets(value, found, 0);
    }
    return this.#keep(signature, [...found]);
  }

  #keep(signature: string, secrets: readonly string[]): readonly string[] {
    this.#signature = signature;
    this.#secrets = secrets;
    return secrets;
  }
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
