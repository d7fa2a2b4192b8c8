// `/` (the overview page) and `/api/overview` (its data as JSON): readOverview's one read of Redis each.

import { readOverview, type Runtime } from '@pypi-watch/core';
import { Router } from 'express';
import { overviewPage } from './pages/overview-page.js';

export function overviewRoutes(runtime: Runtime): Router {
  const router = Router();
  router.get('/api/overview', async (_req, res) => {
    res.set('Cache-Control', 'no-store').json(await readOverview(runtime, Date.now()));
  });
  router.get('/', async (_req, res) => {
    res
      .set('Cache-Control', 'no-store')
      .type('html')
      .send(overviewPage(await readOverview(runtime, Date.now())));
  });
  return router;
}
