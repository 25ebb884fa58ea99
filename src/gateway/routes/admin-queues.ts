import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Hono } from 'hono';
import type { AppEnv, GatewayDeps } from '../../http/env.js';
import { AppError } from '../../lib/errors.js';
import { isSafeMethod } from '../cross-site.js';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';

/**
 * The only changes the dashboard may make: retrying one failed job, or every failed job of a queue. Adding
 * jobs, editing their data, emptying, cleaning, obliterating, pausing or promoting would let whoever holds a
 * browser session put arbitrary work (a forged provider call) in front of the workers, or drop real work.
 */
const RETRY_ONE = /^\/api\/queues\/([^/]+)\/([^/]+)\/retry\/?$/;
const RETRY_FAILED = /^\/api\/queues\/[^/]+\/retry\/failed\/?$/;

/**
 * The operators' job dashboard (bull-board) for every queue: waiting, delayed, failed jobs with their errors,
 * retry from the UI. Behind the admin guard like the rest of /admin: Basic credentials open it for reading;
 * retrying needs a session (`/auth/login`) or a bearer token, and the operator role.
 */
export function registerQueueDashboard(app: Hono<AppEnv>, deps: GatewayDeps): void {
  const serverAdapter = new HonoAdapter(serveStatic);
  serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    queues: deps.queues.all().map((queue) => new BullMQAdapter(queue)),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'ordergate jobs' } },
  });
  app.use(`${QUEUE_DASHBOARD_PATH}/*`, async (c, next) => {
    if (!isSafeMethod(c.req.method)) {
      const path = c.req.path.slice(QUEUE_DASHBOARD_PATH.length);
      const one = RETRY_ONE.exec(path);
      const allowed =
        c.req.method === 'PUT' &&
        (RETRY_FAILED.test(path) || (one !== null && (await isFailedJob(deps, one[1], one[2]))));
      if (!allowed) throw new AppError('forbidden', 'the job dashboard can only retry failed jobs');
    }
    await next();
  });
  app.route(QUEUE_DASHBOARD_PATH, serverAdapter.registerPlugin() as unknown as Hono<AppEnv>);
}

/** Whether the dashboard's job is a failed one (bull-board itself would also re-run a completed job). */
async function isFailedJob(deps: GatewayDeps, queueName = '', jobId = ''): Promise<boolean> {
  const queue = deps.queues.all().find((q) => q.name === decodeURIComponent(queueName));
  const job = queue ? await queue.getJob(decodeURIComponent(jobId)) : undefined;
  return job ? (await job.getState()) === 'failed' : false;
}
