// The system Chromium for browser tests: Debian's, installed before the tests run; never downloaded by Playwright.

import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Debian's /usr/bin/chromium, which `pnpm test` installs first (test/install-system-packages.sh); a test never runs apt-get. */
export function ensureChromiumInstalled(): string {
  if (existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
  throw new Error(
    `${CHROMIUM_PATH} is missing: run \`bash test/install-system-packages.sh\` (or \`sudo apt-get install -y chromium\`), or use ` +
      `\`pnpm test\`.`,
  );
}

export interface LaunchedChromium {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Headless Chromium with a fresh profile (its own --user-data-dir, which Playwright only takes
 * through a persistent context) and no background traffic.
 */
export async function launchChromium(
  options: { httpCredentials?: { username: string; password: string } } = {},
): Promise<LaunchedChromium> {
  const executablePath = ensureChromiumInstalled();
  const profile = await mkdtemp(join(tmpdir(), 'pypi-watch-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1400, height: 900 },
      ...(options.httpCredentials ? { httpCredentials: options.httpCredentials } : {}),
    });
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
