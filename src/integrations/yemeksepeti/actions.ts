import { cancelBody } from '../../http/action-bodies.js';
import { validate } from '../../http/input.js';
import { RuleViolation } from '../../lib/errors.js';
import { recordChannelStatus } from '../../orders/channel-status.js';
import { commitOrderStock } from '../../orders/stock.js';
import { addTimelineEvent } from '../../orders/timeline.js';
import { advanceOrder, transitionOrder } from '../../orders/transition.js';
import { tellDeliveryLinesChanged } from '../delivery/index.js';
import type { OrderAction, OrderActionName } from '../types.js';
import { isDispatched, patchYsAttributes, tellYemeksepeti, ysAttributes } from './attributes.js';
import { refund } from './refund.js';

/**
 * Our decisions on a Yemeksepeti order, with the channel's rules (each refusal is a 409 naming the rule):
 * - accept: BiSU confirms the order (ORDER_CONFIRMED); Yemeksepeti has no such status, so nothing is sent.
 *   Only an order still ORDER_CREATED, neither dispatched nor cancelled (`not_awaiting_acceptance`).
 * - dispatch: our completion is DISPATCHED (only Yemeksepeti sets DELIVERED); once only (`already_dispatched`).
 * - cancel: not after DISPATCHED (`no_cancel_after_dispatch`); Yemeksepeti itself may, through its webhook.
 * - refund: whole lines taken out of the cart, told with UPDATE_CART (refund.ts); not after DISPATCHED
 *   (`no_refund_after_dispatch`), at most once (`refund_once`). Yemeksepeti's ORDER_RECONCILED records no
 *   refund, so it neither counts as one nor uses ours up.
 * reject / ready have no Yemeksepeti meaning and answer 409 `action_not_supported`.
 */
const accept: OrderAction = async (trx, order, _body, { actor }) => {
  const bisuStatus = ysAttributes(order).bisuStatus ?? 'ORDER_CREATED';
  const open = order.status === 'confirmed' || order.status === 'processing';
  if (!open || isDispatched(order) || bisuStatus !== 'ORDER_CREATED') {
    throw new RuleViolation(
      'not_awaiting_acceptance',
      `cannot confirm: the order is ${order.status} with BiSU status ${bisuStatus}; only an ORDER_CREATED order that is neither dispatched nor cancelled can be confirmed`,
      { status: order.status, bisuStatus },
    );
  }
  const updated = await patchYsAttributes(trx, order, { bisuStatus: 'ORDER_CONFIRMED' });
  await addTimelineEvent(trx, {
    orderId: order.id,
    type: 'note_added',
    actor,
    message:
      'confirmed: BiSU status ORDER_CONFIRMED (nothing is sent to Yemeksepeti, which has no such status)',
    metadata: { bisuStatus: 'ORDER_CONFIRMED', previous: bisuStatus },
  });
  return updated;
};

const dispatch: OrderAction = async (trx, order, _body, { actor }) => {
  if (isDispatched(order)) {
    throw new RuleViolation('already_dispatched', 'the order is already DISPATCHED', { orderId: order.id });
  }
  let updated = await advanceOrder(trx, {
    order,
    to: 'shipped',
    actor,
    reason: 'dispatched (DISPATCHED sent to Yemeksepeti)',
  });
  await commitOrderStock(trx, { orderId: order.id, actor: actor });
  await recordChannelStatus(trx, {
    order: updated,
    channelStatus: 'DISPATCHED',
    applied: true,
    note: 'set by us; sent to Yemeksepeti',
  });
  updated = await patchYsAttributes(trx, updated, {
    dispatched: true,
    dispatchedAt: new Date().toISOString(),
    bisuStatus: 'ORDER_COMPLETED',
  });
  await tellYemeksepeti(trx, order, { status: 'DISPATCHED' });
  return updated;
};

const cancel: OrderAction = async (trx, order, body, { actor }) => {
  if (isDispatched(order)) {
    throw new RuleViolation('no_cancel_after_dispatch', 'a DISPATCHED order cannot be cancelled by us', {
      orderId: order.id,
    });
  }
  const { reason } = validate(cancelBody, body);
  let updated = await transitionOrder(trx, { order, to: 'cancelled', actor, reason });
  updated = await patchYsAttributes(trx, updated, {
    bisuStatus: 'ORDER_CANCELLED',
    cancellation: { reason, cancelledBy: 'us' },
  });
  await tellYemeksepeti(trx, order, { status: 'CANCELLED', cancellation: { reason } });
  // Nothing is left to deliver: a delivery already requested is called off.
  return tellDeliveryLinesChanged(trx, updated, []);
};

export const yemeksepetiActions: Partial<Record<OrderActionName, OrderAction>> = {
  accept,
  dispatch,
  cancel,
  refund,
};
