import { AppError } from '../../lib/errors.js';
import { withProviderAnswer } from '../provider-error.js';
import { handlePaymentEvent } from '../storefront/payment.js';
import type { Integration, OutboundProcessor } from '../types.js';
import { razorpayClient } from './client.js';
import { razorpayContract } from './contract.js';
import { registerRazorpayWebhook } from './route.js';
import {
  createOrderPayload,
  RAZORPAY_SOURCE,
  refundPayload,
  TOPIC_CREATE_ORDER,
  TOPIC_REFUND,
} from './schema.js';

const NOT_CONFIGURED = 'RAZORPAY_KEY_ID / RAZORPAY_KEY_SECRET are not configured';

/**
 * `razorpay.order.create`: `POST /v1/orders` with the order's total, currency and number as `receipt`; the
 * Razorpay order id is kept, and is how payment events find their order. An order that already has one is
 * not sent again. Razorpay does not deduplicate order creation, so a run that created the order but died
 * before recording it would leave an orphan that a customer could pay: every run first asks Razorpay for
 * orders with this receipt and adopts the one made for this order (same order id in its notes, same amount
 * and currency) instead of creating a second.
 */
const createOrder: OutboundProcessor = async (ctx, job) => {
  const payload = createOrderPayload.parse(job.payload);
  const existing = await ctx.db
    .selectFrom('razorpay_orders')
    .select('razorpay_order_id')
    .where('order_id', '=', payload.orderId)
    .executeTakeFirst();
  if (existing) return { sent: true, message: `Razorpay order ${existing.razorpay_order_id} exists` };
  const client = razorpayClient(ctx.config);
  if (!client) return { sent: false, message: NOT_CONFIGURED };
  const earlier = await client.ordersByReceipt(payload.receipt).catch((err: unknown) => {
    throw withProviderAnswer(err);
  });
  const adopted = earlier.find(
    (o) =>
      o.notes.orderId === payload.orderId && o.amount === payload.amount && o.currency === payload.currency,
  );
  const created =
    adopted ??
    (await client
      .createOrder(
        {
          amount: payload.amount,
          currency: payload.currency,
          receipt: payload.receipt,
          notes: { orderId: payload.orderId },
        },
        `ordergate-order-${payload.orderId}`,
      )
      .catch((err: unknown) => {
        throw withProviderAnswer(err);
      }));
  if (created.amount !== payload.amount || (created.currency && created.currency !== payload.currency)) {
    throw new AppError(
      'provider_rejected',
      `Razorpay order ${created.id} has ${created.amount} ${created.currency}`,
      {
        retryable: false,
      },
    );
  }
  await ctx.db
    .insertInto('razorpay_orders')
    .values({
      order_id: payload.orderId,
      razorpay_order_id: created.id,
      amount: payload.amount,
      currency: payload.currency,
    })
    .onConflict((oc) => oc.column('order_id').doNothing())
    .execute();
  return { sent: true, message: `Razorpay order ${created.id}${adopted ? ' (found by its receipt)' : ''}` };
};

/** `razorpay.payment.refund`: `POST /v1/payments/{id}/refund`; `refund.processed` settles it. */
const refund: OutboundProcessor = async (ctx, job) => {
  const payload = refundPayload.parse(job.payload);
  const client = razorpayClient(ctx.config);
  if (!client) return { sent: false, message: NOT_CONFIGURED };
  const created = await client
    .refundPayment(
      payload.paymentId,
      { amount: payload.amount, notes: { refundId: payload.refundId } },
      `ordergate-refund-${payload.refundId}`,
    )
    .catch((err: unknown) => {
      throw withProviderAnswer(err);
    });
  await ctx.db
    .updateTable('storefront_refunds')
    .set({
      razorpay_refund_id: created.id,
      ...(created.status === 'processed' ? { status: 'processed' as const } : {}),
      updated_at: new Date(),
    })
    .where('id', '=', payload.refundId)
    .where('status', '!=', 'processed')
    .execute();
  return { sent: true, message: `Razorpay refund ${created.id} (${created.status ?? 'pending'})` };
};

/** Razorpay: payment webhooks in, orders and refunds out. See docs/storefront.md. */
export const razorpayIntegration: Integration = {
  source: RAZORPAY_SOURCE,
  contract: razorpayContract,
  registerRoutes: registerRazorpayWebhook,
  handleEvent: handlePaymentEvent,
  outbound: { [TOPIC_CREATE_ORDER]: createOrder, [TOPIC_REFUND]: refund },
};
