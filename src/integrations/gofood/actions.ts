/** The merchant's decisions on a GoFood order: accept, reject, food prepared; each tells GoBiz through the outbox. */
import { z } from 'zod';
import type { Order } from '../../db/schema.js';
import { validate } from '../../http/input.js';
import { RuleViolation } from '../../lib/errors.js';
import { enqueueOutbox } from '../../orders/outbox.js';
import { addTimelineEvent } from '../../orders/timeline.js';
import { transitionOrder } from '../../orders/transition.js';
import type { OrderAction } from '../types.js';
import { writeGofoodAttributes } from './attributes.js';
import { rejectReasonCodes } from './client.js';
import { gofoodAttributes } from './mapping.js';

export const TOPIC_ACCEPT = 'gofood.order.accept';
export const TOPIC_REJECT = 'gofood.order.reject';
export const TOPIC_FOOD_PREPARED = 'gofood.order.food_prepared';

export const rejectBody = z.object({
  reasonCode: z.enum(rejectReasonCodes),
  description: z.string().trim().min(3).max(500),
});
export type RejectBody = z.infer<typeof rejectBody>;

export const outboundPayloadSchema = z.object({
  outletId: z.string().min(1),
  fulfilment: z.enum(['delivery', 'pickup']),
  orderNumber: z.string().min(1),
});

function orderRef(order: Order): z.infer<typeof outboundPayloadSchema> {
  const attrs = gofoodAttributes(order.attributes);
  if (!attrs.outletId) {
    throw new RuleViolation(
      'gofood_outlet_unknown',
      'the GoFood order has no outlet id; GoBiz cannot be told',
    );
  }
  return {
    outletId: attrs.outletId,
    fulfilment: attrs.fulfilment ?? 'delivery',
    orderNumber: order.external_order_id,
  };
}

function requireAwaiting(order: Order, action: string): void {
  const attrs = gofoodAttributes(order.attributes);
  if (order.status !== 'pending' || attrs.deadlineRejection) {
    const state = attrs.deadlineRejection ? 'rejected at the acceptance deadline' : order.status;
    throw new RuleViolation(
      'not_awaiting_acceptance',
      `cannot ${action}: the order is no longer awaiting acceptance (${state})`,
      { status: order.status, channelStatus: order.channel_status },
    );
  }
}

export const gofoodOrderActions: Record<'accept' | 'reject' | 'ready', OrderAction> = {
  accept: async (trx, order, _body, { actor }) => {
    requireAwaiting(order, 'accept');
    const ref = orderRef(order);
    const updated = await transitionOrder(trx, {
      order,
      to: 'confirmed',
      actor,
      reason: 'accepted by the merchant',
    });
    await enqueueOutbox(trx, { orderId: order.id, topic: TOPIC_ACCEPT, payload: ref });
    return updated;
  },
  reject: async (trx, order, body, { actor }) => {
    const input = validate(rejectBody, body);
    requireAwaiting(order, 'reject');
    const ref = orderRef(order);
    const updated = await transitionOrder(trx, {
      order,
      to: 'cancelled',
      actor,
      reason: `rejected by the merchant: ${input.reasonCode} (${input.description})`,
      metadata: { reasonCode: input.reasonCode },
    });
    await enqueueOutbox(trx, {
      orderId: order.id,
      topic: TOPIC_REJECT,
      payload: { ...ref, reasonCode: input.reasonCode, description: input.description },
    });
    return updated;
  },
  ready: async (trx, order, _body, { actor, config }) => {
    const attrs = gofoodAttributes(order.attributes);
    if (order.status !== 'confirmed' && order.status !== 'processing') {
      throw new RuleViolation(
        'not_preparing',
        `cannot mark the food prepared: the order is ${order.status} (it must be confirmed or processing)`,
      );
    }
    if (attrs.foodPreparedAt) {
      throw new RuleViolation(
        'food_already_prepared',
        `the food was marked prepared at ${attrs.foodPreparedAt}`,
      );
    }
    const ref = orderRef(order);
    let updated = order;
    if (order.status === 'confirmed') {
      updated = await transitionOrder(trx, { order, to: 'processing', actor, reason: 'food prepared' });
    } else {
      await addTimelineEvent(trx, { orderId: order.id, type: 'note_added', actor, message: 'food prepared' });
    }
    updated = await writeGofoodAttributes(trx, updated, { foodPreparedAt: new Date().toISOString() });
    await enqueueOutbox(trx, {
      orderId: order.id,
      topic: TOPIC_FOOD_PREPARED,
      payload: { ...ref, countryCode: config.GOFOOD_COUNTRY_CODE },
    });
    return updated;
  },
};
