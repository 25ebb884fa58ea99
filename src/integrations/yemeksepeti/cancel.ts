import type { InboundEvent } from '../../db/schema.js';
import { flagAttention } from '../../orders/attention.js';
import { recordChannelStatus } from '../../orders/channel-status.js';
import { createOrder, type OrderItemInput } from '../../orders/create.js';
import { findOrderByExternalId } from '../../orders/locks.js';
import { isOrderStatus, transitionPath } from '../../orders/status.js';
import { advanceOrder } from '../../orders/transition.js';
import { tellDeliveryLinesChanged } from '../delivery/index.js';
import { channelOrderInput, eventAlreadyRecorded, withLockedOrder } from '../kit/orders.js';
import { alreadyRecorded, attention } from '../kit/results.js';
import type { HandlerResult, WorkerContext } from '../types.js';
import { ACTOR, patchYsAttributes, YS, type YsAttributes } from './attributes.js';
import {
  customerName,
  externalRefsOf,
  paymentSnapshot,
  storeIdsOf,
  toOrderItem,
  withCartStatus,
  YS_CURRENCY,
  YS_SOURCE,
  YsItemError,
} from './mapping.js';
import type { YsEventMeta, YsOrder } from './schema.js';
import { noteStoreChange, resolveWarehouse } from './warehouse.js';

/**
 * A cancellation by Yemeksepeti. Yemeksepeti may cancel even a dispatched order (we may not); an order we
 * never received is recorded as cancelled when the body is complete enough to find it by.
 */
export async function cancelFlow(
  ctx: WorkerContext,
  event: InboundEvent,
  ys: YsOrder,
  meta: YsEventMeta,
): Promise<HandlerResult> {
  const cancellation = {
    reason: ys.cancellation?.reason ?? null,
    cancelledBy: ys.cancellation?.cancelled_by ?? null,
  };
  let existing = await findOrderByExternalId(ctx.db, YS_SOURCE, ys.order_id);
  if (!existing) {
    // A cancellation for an order we never created: recorded as a cancelled order when the body is
    // complete enough (store and items), so customer service can find it; otherwise attention.
    const storeIds = storeIdsOf(ys);
    if (storeIds.length === 0 || !ys.items?.length) {
      return attention(
        `Yemeksepeti cancelled order ${ys.order_id}, which we never received, and the body is incomplete`,
      );
    }
    let lines: OrderItemInput[];
    try {
      const items = withCartStatus(ys.items.map((item, index) => toOrderItem(item, index)));
      lines = items.map((line) => ({ ...line, reserve: false }));
    } catch (err) {
      if (err instanceof YsItemError) return attention(`order ${ys.order_id}: ${err.message}`);
      throw err;
    }
    const warehouse = await resolveWarehouse(ctx, ys, meta.category);
    const payment = paymentSnapshot(ys);
    const result = await createOrder(ctx.db, {
      input: channelOrderInput(YS, event, {
        externalOrderId: ys.order_id,
        status: 'cancelled',
        channelStatus: 'CANCELLED',
        paymentStatus: 'paid',
        currency: YS_CURRENCY,
        customer: {
          externalId: ys.customer?._id ?? null,
          phone: ys.customer?.phone_number ?? null,
          name: customerName(ys) ?? null,
        },
        items: lines,
        totals: { shipping: payment.deliveryFee + payment.serviceFee, discount: 0, tax: payment.totalTaxes },
        warehouseCode: warehouse.ok ? warehouse.code : null,
        externalRefs: externalRefsOf(ys, warehouse.ok ? warehouse.storeId : undefined),
        attributes: {
          yemeksepeti: {
            ...(warehouse.ok ? { category: warehouse.category } : {}),
            bisuStatus: 'ORDER_CANCELLED',
            cancellation,
            payment,
            createdFromCancellation: true,
          } satisfies YsAttributes,
        },
      }),
    });
    if (result.created) {
      return {
        status: 'processed',
        orderId: result.order.id,
        outcome: `recorded ${result.order.order_number} as cancelled: Yemeksepeti cancelled an order we never received${warehouse.ok ? '' : ` (${warehouse.reason})`}`,
      };
    }
    existing = result.order;
  }
  const orderId = existing.id;
  return withLockedOrder(
    ctx.db,
    { channel: YS_SOURCE, externalOrderId: ys.order_id },
    async (trx, locked) => {
      if (await eventAlreadyRecorded(trx, locked, event)) return alreadyRecorded('CANCELLED', orderId);
      let order = locked;
      await noteStoreChange(ctx, trx, order, ys);
      const from = order.status;
      if (from === 'cancelled') {
        await recordChannelStatus(trx, {
          order,
          channelStatus: 'CANCELLED',
          applied: false,
          note: 'already cancelled',
          eventId: event.id,
        });
        return { status: 'processed', orderId, outcome: 'already cancelled' };
      }
      const path = isOrderStatus(from) ? transitionPath(from, 'cancelled') : undefined;
      if (!path) {
        await recordChannelStatus(trx, {
          order,
          channelStatus: 'CANCELLED',
          applied: false,
          note: `order is ${from}; a cancellation cannot apply`,
          eventId: event.id,
        });
        await flagAttention(trx, {
          order,
          reason: `Yemeksepeti cancelled the order after it was ${from}`,
          actor: ACTOR,
        });
        return attention(`Yemeksepeti cancelled order ${ys.order_id}, which is ${from}`, orderId);
      }
      // Yemeksepeti may cancel even a DISPATCHED order; we may not.
      order = await advanceOrder(trx, {
        order,
        to: 'cancelled',
        actor: ACTOR,
        reason: `cancelled by Yemeksepeti${cancellation.cancelledBy ? ` (${cancellation.cancelledBy})` : ''}: ${cancellation.reason ?? 'no reason given'}`,
        metadata: { cancellation, eventId: event.id },
      });
      await recordChannelStatus(trx, { order, channelStatus: 'CANCELLED', applied: true, eventId: event.id });
      order = await patchYsAttributes(trx, order, { bisuStatus: 'ORDER_CANCELLED', cancellation });
      // Nothing is left to deliver: a delivery already requested is called off.
      await tellDeliveryLinesChanged(trx, order, []);
      return { status: 'processed', orderId, outcome: `cancelled (was ${from})` };
    },
  );
}
