import type { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv, GatewayDeps } from '../../http/env.js';
import { readOptionalJsonBody, validate } from '../../http/input.js';
import { type Integration, orderActionNames } from '../../integrations/types.js';
import { adminActor } from '../../lib/roles.js';
import { runOrderAction } from '../order-actions.js';

export const actionParams = z.object({ id: z.uuid(), action: z.enum(orderActionNames) });

/**
 * `POST /admin/orders/:id/{dispatch|cancel|refund|accept|reject|ready|resolve}` (any other last segment is
 * left to the routes registered after this one): runs the action (`runOrderAction`) and answers the order.
 */
export function registerAdminActionRoutes(
  app: Hono<AppEnv>,
  deps: GatewayDeps,
  integrations: readonly Integration[],
): void {
  const byChannel = new Map(integrations.map((i) => [i.source, i]));

  app.post('/admin/orders/:id/:action', async (c, next) => {
    // Other order endpoints (an integration's shipments, notes, ...) share this path shape.
    if (!(orderActionNames as readonly string[]).includes(c.req.param('action'))) return next();
    const { id, action } = validate(actionParams, c.req.param(), 'path');
    const body = await readOptionalJsonBody(c);
    // The timeline names the role and the token that acted (`admin:operator:<fingerprint>`).
    const actor = adminActor(c.get('principal'));
    const detail = await runOrderAction(deps, byChannel, { id, action, body, actor });
    return c.json(detail);
  });
}
