import { resolveBody } from '../http/action-bodies.js';
import type { GatewayDeps } from '../http/env.js';
import { validate } from '../http/input.js';
import type { Integration, OrderAction, OrderActionName } from '../integrations/types.js';
import { AppError, RuleViolation } from '../lib/errors.js';
import { resolveAttention } from '../orders/attention.js';
import type { OrderDetailDto } from '../orders/dto.js';
import { findOrderById, getOrderForUpdate, withOrderLock } from '../orders/locks.js';
import { getOrderDetail } from '../orders/queries.js';

/** Actions that are the same on every channel: no integration's rules apply. */
const everyChannelActions: Partial<Record<OrderActionName, OrderAction>> = {
  resolve: (trx, order, body, { actor }) => {
    const { note } = validate(resolveBody, body);
    return resolveAttention(trx, { order, actor, note });
  },
};

/** The actions an operator may take on an order of this channel: the ones it carries, then `resolve`. */
export function channelActionNames(integration: Integration | undefined): OrderActionName[] {
  const carried = Object.keys(integration?.orderActions ?? {}) as OrderActionName[];
  const shared = Object.keys(everyChannelActions) as OrderActionName[];
  return [...carried.filter((a) => !shared.includes(a)), ...shared];
}

export interface OrderActionInput {
  id: string;
  action: OrderActionName;
  body: unknown;
  /** Who acted, as the timeline records it. */
  actor: string;
}

/**
 * One operator action on an order (the admin API's and the console's): one transaction holding the order's
 * lock; the order's channel supplies the actions it carries and their rules (`resolve`, clearing an attention
 * flag, is the same on every channel). An action the channel does not carry, or one its rules refuse, is a
 * 409 whose code names the rule.
 */
export async function runOrderAction(
  deps: Pick<GatewayDeps, 'db' | 'config'>,
  integrations: ReadonlyMap<string, Integration>,
  { id, action, body, actor }: OrderActionInput,
): Promise<OrderDetailDto | undefined> {
  const found = await findOrderById(deps.db, id);
  if (!found) throw new AppError('not_found', 'order not found', { details: { id } });
  // Only what the channel carries to its provider is done here: an action done on our side alone would
  // leave the two sides disagreeing about the order.
  const handler = everyChannelActions[action] ?? integrations.get(found.channel)?.orderActions?.[action];
  if (!handler) {
    throw new RuleViolation(
      'action_not_supported',
      `${action} is not an action on ${found.channel} orders: the channel cannot carry it to its provider`,
    );
  }
  await withOrderLock(deps.db, found.channel, found.external_order_id, async (trx) => {
    const order = await getOrderForUpdate(trx, id);
    await handler(trx, order, body, { actor, config: deps.config });
  });
  return getOrderDetail(deps.db, id);
}
