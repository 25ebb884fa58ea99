import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Hono } from 'hono';
import type { AppEnv, GatewayDeps } from '../../http/env.js';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';

/**
 * The operators' job dashboard (bull-board) for every queue: waiting, delayed, failed jobs with their errors,
 * retry from the UI. Behind the same admin guard as the rest of /admin (Basic auth with the admin token as
 * password works for browsers).
 */
export function registerQueueDashboard(app: Hono<AppEnv>, deps: GatewayDeps): void {
  const serverAdapter = new HonoAdapter(serveStatic);
  serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    queues: deps.queues.all().map((queue) => new BullMQAdapter(queue)),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'ordergate jobs' } },
  });
  app.route(QUEUE_DASHBOARD_PATH, serverAdapter.registerPlugin() as unknown as Hono<AppEnv>);
}
