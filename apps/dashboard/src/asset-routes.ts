// assets/…: the console's stylesheet and scripts, and uPlot, served by the dashboard itself (it must work offline).
//
// The browser scripts are compiled by `tsc -b` from apps/dashboard/browser/ into dist/browser/; uPlot
// comes from its npm package in node_modules. Each file is read once and kept: together under 70 kB.

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@pypi-watch/core';
import { Router } from 'express';
import { CONSOLE_CSS } from './pages/page-style.js';

/** Where `tsc -b` puts the browser scripts: the same from src/ (tests) and dist/ (the built app). */
const BROWSER_DIR = new URL('../dist/browser/', import.meta.url);

const require = createRequire(import.meta.url);

interface Asset {
  readonly type: 'text/css' | 'text/javascript';
  /** The file, or the text itself. */
  readonly source: { readonly file: string } | { readonly text: string };
}

/** Every asset by its name under assets/. Nothing else is served: no path from the request reaches the file system. */
export const ASSETS: Readonly<Record<string, Asset>> = {
  'console.css': { type: 'text/css', source: { text: CONSOLE_CSS } },
  'theme.js': { type: 'text/javascript', source: { file: fileURLToPath(new URL('theme-toggle.js', BROWSER_DIR)) } },
  'overview.js': { type: 'text/javascript', source: { file: fileURLToPath(new URL('overview-charts.js', BROWSER_DIR)) } },
  // overview.js imports these two by their compiled names.
  'overview-data.js': { type: 'text/javascript', source: { file: fileURLToPath(new URL('overview-data.js', BROWSER_DIR)) } },
  'time-chart.js': { type: 'text/javascript', source: { file: fileURLToPath(new URL('time-chart.js', BROWSER_DIR)) } },
  'uplot.js': { type: 'text/javascript', source: { file: require.resolve('uplot/dist/uPlot.iife.min.js') } },
  'uplot.css': { type: 'text/css', source: { file: require.resolve('uplot/dist/uPlot.min.css') } },
};

export function assetRoutes(logger: Logger): Router {
  const router = Router();
  const loaded = new Map<string, Promise<string>>();
  const load = (name: string, asset: Asset): Promise<string> => {
    let text = loaded.get(name);
    if (!text) {
      text = 'text' in asset.source ? Promise.resolve(asset.source.text) : readFile(asset.source.file, 'utf8');
      // A failed read (no build yet) is tried again on the next request, not remembered.
      text.catch(() => loaded.delete(name));
      loaded.set(name, text);
    }
    return text;
  };
  router.get('/assets/:name', (req, res) => {
    const name = req.params.name;
    const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
    if (!asset) return void res.status(404).type('text/plain').send('not found\n');
    load(name, asset).then(
      // Express adds an ETag and answers a matching If-None-Match with 304; no-cache makes the browser ask.
      (text) => res.status(200).type(asset.type).set('Cache-Control', 'no-cache').send(text),
      (err: unknown) => {
        logger.error({ err, asset: name }, 'dashboard: asset missing (run `pnpm build`)');
        res.status(503).type('text/plain').send('asset unavailable: run `pnpm build`\n');
      },
    );
  });
  return router;
}
