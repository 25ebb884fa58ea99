import type { InboundEvent, Order } from '../../db/schema.js';
import { flagAttention } from '../../orders/attention.js';
import { type CreateOrderInput, createOrder } from '../../orders/create.js';
import type { Trx } from '../../orders/locks.js';
import { toMinorUnits } from '../../orders/money.js';
import { StockShortageError } from '../../orders/stock.js';
import { channelOrderInput } from '../kit/orders.js';
import type { HandlerResult, WorkerContext } from '../types.js';
import { CHANNEL_ACTOR, commit, GOFOOD, settlePayment } from './attributes.js';
import { type EventKind, internalStatusFor, orderFacts, parseTimestamp } from './mapping.js';
import { outletSettings } from './outlets.js';
import type { GofoodNotification } from './schema.js';

/**
 * The first event of an order we do not hold creates it, in whatever step GoFood reports. GoFood already
 * sold it, so a stock shortage still creates the order (nothing reserved) and flags it for a person.
 */
export async function createFromEvent(
  ctx: WorkerContext,
  event: InboundEvent,
  notification: GofoodNotification,
  kind: Exclude<EventKind, { kind: 'unknown' }>,
  orderNumber: string,
): Promise<HandlerResult | undefined> {
  const facts = orderFacts(notification, toMinorUnits);
  const outlet = await outletSettings(ctx.db, facts.attributes.outletId);
  const step = kind.kind === 'step' ? kind.step : null;
  const status = step ? internalStatusFor[step] : 'pending';
  const reserve = outlet.warehouseCode !== null && status !== 'cancelled';
  const occurredAt = parseTimestamp(notification.header.timestamp);
  const input = (reserveLines: boolean): CreateOrderInput =>
    channelOrderInput(GOFOOD, event, {
      externalOrderId: orderNumber,
      status,
      channelStatus: step,
      paymentStatus: 'pending',
      currency: facts.currency,
      customer: facts.customer,
      items: facts.items.map((item) => ({ ...item, reserve: reserveLines })),
      totals: {
        subtotal: facts.subtotal,
        shipping: facts.takeawayCharges,
        discount: Math.max(0, facts.subtotal + facts.takeawayCharges - facts.total),
        total: facts.total,
      },
      warehouseCode: outlet.warehouseCode,
      externalRefs: facts.externalRefs,
      attributes: { gofood: { ...facts.attributes, acceptanceMode: outlet.acceptanceMode } },
      occurredAt,
    });
  const afterCreate =
    (shortage: string | undefined) =>
    async (trx: Trx, order: Order): Promise<void> => {
      if (status === 'delivered' && reserve && !shortage) await commit(trx, order);
      if (kind.kind === 'payment_settled') await settlePayment(trx, order, event);
      if (shortage) await flagAttention(trx, { order, reason: shortage, actor: CHANNEL_ACTOR });
    };
  let created: Awaited<ReturnType<typeof createOrder>>;
  try {
    created = await createOrder(ctx.db, { input: input(reserve), inTx: afterCreate(undefined) });
  } catch (err) {
    if (!(err instanceof StockShortageError)) throw err;
    // GoFood already sold it: the order exists whatever our stock says; a person decides what to do.
    const reason = `insufficient stock in ${outlet.warehouseCode}: ${err.shortages.map((s) => `${s.sku} (${s.available}/${s.requested})`).join(', ')}; nothing reserved`;
    created = await createOrder(ctx.db, { input: input(false), inTx: afterCreate(reason) });
  }
  if (!created.created) return undefined;
  const order = created.order;
  return {
    status: 'processed',
    orderId: order.id,
    outcome: `created ${order.order_number} as ${status}${step ? ` (${step})` : ''}${kind.kind === 'payment_settled' ? ', paid' : ''}`,
  };
}
