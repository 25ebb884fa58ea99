/**
 * The checkout flow's worker half: a stored checkout becomes an order, all or nothing. The order, its items
 * (unit price and GST at this moment), addresses, pricing and discount snapshots, totals, stock reservation,
 * Razorpay order request and checkout record are written in one transaction; a checkout that cannot be
 * priced, whose total is below what Razorpay takes, or whose stock is short writes only its failure and
 * reason, which its status URL shows.
 */
import type { Executor } from '../../db/index.js';
import type { InboundEvent } from '../../db/schema.js';
import { createOrder } from '../../orders/create.js';
import { enqueueOutbox } from '../../orders/outbox.js';
import { StockShortageError } from '../../orders/stock.js';
import { RAZORPAY_MIN_AMOUNT, TOPIC_CREATE_ORDER } from '../razorpay/schema.js';
import type { HandlerResult, WorkerContext } from '../types.js';
import { findCatalogEntries, findDiscount, shippingRule } from './catalog.js';
import { confirmPaid } from './lifecycle.js';
import { PricingError, type Quote, quote } from './pricing.js';
import { type CheckoutEvent, checkoutEvent, STOREFRONT_SOURCE } from './schema.js';

export async function handleCheckout(ctx: WorkerContext, event: InboundEvent): Promise<HandlerResult> {
  const checkout = checkoutEvent.parse(event.payload);
  const decided = await ctx.db
    .selectFrom('storefront_checkouts')
    .select(['status', 'reason'])
    .where('order_id', '=', checkout.orderId)
    .executeTakeFirst();
  if (decided) return { status: 'processed', outcome: `checkout already ${decided.status}` };

  let priced: Quote;
  try {
    priced = await priceCheckout(ctx, checkout);
  } catch (err) {
    if (err instanceof PricingError) return failCheckout(ctx.db, checkout, event.id, err.message);
    throw err;
  }
  try {
    const { order, created } = await createOrder(ctx.db, {
      input: {
        id: checkout.orderId,
        channel: STOREFRONT_SOURCE,
        externalOrderId: checkout.orderId,
        status: 'pending',
        paymentStatus: 'pending',
        currency: ctx.config.STOREFRONT_CURRENCY,
        customer: {
          externalId: checkout.customerId,
          name: checkout.customer.name,
          email: checkout.customer.email,
          phone: checkout.customer.phone ?? null,
        },
        items: priced.lines.map((line) => ({
          sku: line.sku,
          name: line.name,
          quantity: line.quantity,
          unitPrice: line.unitPrice,
          totalPrice: line.amount,
          taxRateBp: line.gstRateBp,
          metadata: { gstAmount: line.gst, discountAmount: line.discount },
        })),
        totals: {
          subtotal: priced.subtotal,
          discount: priced.discount,
          shipping: priced.shipping,
          tax: priced.gst,
          total: priced.total,
        },
        warehouseCode: ctx.config.STOREFRONT_WAREHOUSE,
        attributes: {
          discountCode: checkout.discountCode ?? null,
          shippingAddress: checkout.shippingAddress,
          billingAddress: checkout.billingAddress,
          pricingSnapshot: priced.pricingSnapshot,
          discountSnapshot: priced.discountSnapshot,
        },
        actor: `customer:${checkout.customerId}`,
        eventId: event.id,
      },
      inTx: async (trx, order) => {
        await trx
          .insertInto('storefront_checkouts')
          .values({
            order_id: order.id,
            customer_id: checkout.customerId,
            event_id: event.id,
            status: 'created',
          })
          .execute();
        // A free order (everything discounted, free shipping) has nothing to collect: it is confirmed now,
        // not left pending for the payment window to cancel.
        if (order.total === 0) {
          await confirmPaid(trx, order, { actor: 'system', reason: 'nothing to pay' });
          return;
        }
        await enqueueOutbox(trx, {
          orderId: order.id,
          topic: TOPIC_CREATE_ORDER,
          payload: {
            orderId: order.id,
            amount: order.total,
            currency: order.currency,
            receipt: order.order_number,
          },
        });
      },
    });
    return {
      status: 'processed',
      orderId: order.id,
      outcome: created ? `created ${order.order_number}` : `order ${order.order_number} already existed`,
    };
  } catch (err) {
    if (err instanceof StockShortageError) {
      const lines = err.shortages.map((s) => `${s.sku} (requested ${s.requested}, available ${s.available})`);
      return failCheckout(ctx.db, checkout, event.id, `out of stock: ${lines.join(', ')}`);
    }
    throw err;
  }
}

async function priceCheckout(ctx: WorkerContext, checkout: CheckoutEvent): Promise<Quote> {
  const [catalog, discount] = await Promise.all([
    findCatalogEntries(
      ctx.db,
      checkout.items.map((i) => i.sku),
    ),
    checkout.discountCode ? findDiscount(ctx.db, checkout.discountCode) : Promise.resolve(undefined),
  ]);
  if (checkout.discountCode && !discount)
    throw new PricingError(`unknown discount code ${checkout.discountCode}`);
  const priced = quote({
    items: checkout.items,
    catalog,
    discount,
    shipping: shippingRule(ctx.config),
    currency: ctx.config.STOREFRONT_CURRENCY,
    now: new Date(),
  });
  // Razorpay refuses an order below its minimum, so such a total could never be paid; nothing to pay at all
  // (0) is confirmed without Razorpay.
  if (priced.total > 0 && priced.total < RAZORPAY_MIN_AMOUNT) {
    throw new PricingError(
      `total ${priced.total} is below Razorpay's minimum payment of ${RAZORPAY_MIN_AMOUNT} (minor units of ${priced.pricingSnapshot.currency})`,
    );
  }
  return priced;
}

/** Records why the checkout made no order: the transaction that would have made it wrote nothing. */
async function failCheckout(
  db: Executor,
  checkout: CheckoutEvent,
  eventId: string,
  reason: string,
): Promise<HandlerResult> {
  await db
    .insertInto('storefront_checkouts')
    .values({
      order_id: checkout.orderId,
      customer_id: checkout.customerId,
      event_id: eventId,
      status: 'failed',
      reason,
    })
    .onConflict((oc) => oc.column('order_id').doNothing())
    .execute();
  return { status: 'processed', outcome: `checkout failed: ${reason}` };
}
