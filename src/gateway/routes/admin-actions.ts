import type { Hono } from 'hono';
import { z } from 'zod';
import type { Order } from '../../db/schema.js';
import { resolveBody } from '../../http/action-bodies.js';
import type { AppEnv, GatewayDeps } from '../../http/env.js';
import { readOptionalJsonBody, validate } from '../../http/input.js';
import {
  type Integration,
  type OrderAction,
  type OrderActionName,
  orderActionNames,
} from '../../integrations/types.js';
import { AppError, RuleViolation } from '../../lib/errors.js';
import { resolveAttention } from '../../orders/attention.js';
import { findOrderById, getOrderForUpdate, withOrderLock } from '../../orders/locks.js';
import { getOrderDetail } from '../../orders/queries.js';

/** Actions that are the same on every channel: no integration's rules apply. */
const everyChannelActions: Partial<Record<OrderActionName, OrderAction>> = {
  resolve: (trx, order, body, { actor }) => {
    const { note } = validate(resolveBody, body);
    return resolveAttention(trx, { order, actor, note });
  },
};

export const actionParams = z.object({ id: z.uuid(), action: z.enum(orderActionNames) });

/**
 * `POST /admin/orders/:id/{dispatch|cancel|refund|accept|reject|ready|resolve}` (any other last segment is
 * left to the routes registered after this one): one transaction holding the
 * order's lock; the order's channel supplies the actions it carries and their rules (`resolve`, clearing an
 * attention flag, is the same on every channel). An action the channel does not carry, or one its rules refuse,
 * is a 409 whose code names the rule.
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
    const found = await findOrderById(deps.db, id);
    if (!found) throw new AppError('not_found', 'order not found', { details: { id } });
    // Only what the channel carries to its provider is done here: an action done on our side alone would
    // leave the two sides disagreeing about the order.
    const handler = everyChannelActions[action] ?? byChannel.get(found.channel)?.orderActions?.[action];
    if (!handler) {
      throw new RuleViolation(
        'action_not_supported',
        `${action} is not an action on ${found.channel} orders: the channel cannot carry it to its provider`,
      );
    }
    await withOrderLock(deps.db, found.channel, found.external_order_id, async (trx) => {
      const order: Order = await getOrderForUpdate(trx, id);
      await handler(trx, order, body, { actor: 'admin', config: deps.config });
    });
    const detail = await getOrderDetail(deps.db, id);
    return c.json(detail);
  });
}
