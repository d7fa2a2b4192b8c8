// Bull Board over every queue of the runtime, as an Express router mounted at `basePath`.

import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import type { Router } from 'express';

export interface BullBoardOptions {
  /** Where the router is mounted, e.g. `/ui`. */
  readonly basePath: string;
  /** Hides retry, remove, clean, pause and the other actions, and refuses them in the API (405). */
  readonly readOnly: boolean;
  /** Extra links in the board's menu, e.g. to /healthz and /metrics. */
  readonly links?: ReadonlyArray<{ readonly text: string; readonly url: string }>;
}

export function createBullBoardRouter(queues: readonly Queue[], options: BullBoardOptions): Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(options.basePath);
  createBullBoard({
    // The board lists each queue's job schedulers too (its "Job schedulers" page).
    queues: queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: options.readOnly, allowRetries: !options.readOnly })),
    serverAdapter,
    options: {
      uiConfig: {
        boardTitle: 'pypi-watch',
        hideDocsLink: true,
        miscLinks: (options.links ?? []).map((link) => ({ text: link.text, url: link.url })),
      },
    },
  });
  const router = serverAdapter.getRouter() as Router & { disable?: (setting: string) => unknown };
  // The adapter's router is an Express app of its own, which would add `X-Powered-By: Express` to
  // every board response even though the outer app disables it.
  router.disable?.('x-powered-by');
  return router;
}
