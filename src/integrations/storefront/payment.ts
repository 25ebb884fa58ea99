/**
 * Razorpay's payment events applied to storefront orders, each under the order's lock, so that the same
 * payment reported twice, or by two events (`payment.captured` and `order.paid`), confirms the order once:
 * the payment's row is the record, and a payment already recorded changes nothing.
 */
import type { Executor } from '../../db/index.js';
import type { InboundEvent, Order } from '../../db/schema.js';
import { AppError } from '../../lib/errors.js';
import { flagAttention } from '../../orders/attention.js';
import { getOrderForUpdate, withOrderLock } from '../../orders/locks.js';
import { setPaymentStatus } from '../../orders/payment.js';
import { refundOrder } from '../../orders/refund.js';
import { addTimelineEvent } from '../../orders/timeline.js';
import { type RazorpayWebhook, webhookSchema } from '../razorpay/schema.js';
import type { HandlerResult, WorkerContext } from '../types.js';
import { confirmPaid } from './lifecycle.js';
import { locatePayment, locateRefund, ourIdIn } from './payment-owner.js';
import { STOREFRONT_SOURCE } from './schema.js';

const ACTOR = 'channel:razorpay';

export async function handlePaymentEvent(ctx: WorkerContext, event: InboundEvent): Promise<HandlerResult> {
  const hook = webhookSchema.parse(event.payload);
  switch (hook.event) {
    case 'payment.captured':
    case 'order.paid':
      return capture(ctx, event, hook);
    case 'payment.failed':
      return paymentFailed(ctx, hook);
    case 'refund.processed':
      return refundProcessed(ctx, event, hook);
    default:
      return { status: 'processed', outcome: `${hook.event} is not acted on` };
  }
}

function lockOrder<T>(ctx: WorkerContext, order: Order, fn: (trx: Executor, order: Order) => Promise<T>) {
  return withOrderLock(ctx.db, STOREFRONT_SOURCE, order.external_order_id, async (trx) =>
    fn(trx, await getOrderForUpdate(trx, order.id)),
  );
}

async function capture(
  ctx: WorkerContext,
  event: InboundEvent,
  hook: RazorpayWebhook,
): Promise<HandlerResult> {
  const payment = hook.payload.payment?.entity;
  if (!payment) return { status: 'attention', outcome: `${hook.event} without a payment entity` };
  const located = await locatePayment(ctx.db, hook, payment.order_id ?? hook.payload.order?.entity.id);
  if ('ignored' in located) return { status: 'processed', outcome: located.ignored };
  return lockOrder(ctx, located.order, async (trx, order) => {
    const seen = await trx
      .selectFrom('razorpay_payments')
      .select('status')
      .where('payment_id', '=', payment.id)
      .executeTakeFirst();
    if (seen)
      return {
        status: 'processed',
        orderId: order.id,
        outcome: `payment ${payment.id} already ${seen.status}`,
      };
    // A payment on a Razorpay order is in that order's currency; Razorpay sometimes sends it as "".
    const currency = payment.currency || located.currency;
    const record = (status: string, error: string | null = null) =>
      trx
        .insertInto('razorpay_payments')
        .values({
          payment_id: payment.id,
          order_id: order.id,
          amount: payment.amount,
          currency,
          status,
          error,
        })
        .onConflict((oc) =>
          oc
            .column('payment_id')
            .doUpdateSet({ status, error, amount: payment.amount, currency, updated_at: new Date() }),
        )
        .execute();
    const refuse = async (status: string, reason: string, causeKey: string): Promise<HandlerResult> => {
      await record(status, reason);
      await flagAttention(trx, {
        order: order,
        reason: reason,
        actor: ACTOR,
        intervention: {
          source: 'payment_mismatch',
          causeKey,
          summary: reason,
          eventId: event.id,
          details: {
            paymentId: payment.id,
            amount: payment.amount,
            currency,
            expected: { amount: order.total, currency: order.currency },
          },
          actions: ['refund', 'review_order', 'resolve'],
        },
      });
      return { status: 'attention', orderId: order.id, outcome: reason };
    };
    if (payment.amount !== order.total || currency !== order.currency) {
      return refuse(
        'mismatch',
        `payment ${payment.id} of ${payment.amount} ${currency || '(no currency)'} does not match order ${order.order_number} (${order.total} ${order.currency}); not confirmed`,
        `payment_mismatch:${payment.id}`,
      );
    }
    if (order.payment_status !== 'pending' && order.payment_status !== 'failed') {
      return refuse(
        'duplicate',
        `second payment ${payment.id} for order ${order.order_number}, already ${order.payment_status}`,
        `duplicate_payment:${payment.id}`,
      );
    }
    if (order.status !== 'pending') {
      return refuse(
        'unexpected',
        `payment ${payment.id} captured for order ${order.order_number}, which is ${order.status}`,
        `payment_for_${order.status}:${payment.id}`,
      );
    }
    await record('captured');
    const confirmed = await confirmPaid(trx, order, {
      actor: ACTOR,
      reason: `payment ${payment.id} captured (${hook.event})`,
      metadata: { paymentId: payment.id, amount: payment.amount },
    });
    return { status: 'processed', orderId: confirmed.id, outcome: `confirmed by payment ${payment.id}` };
  });
}

async function paymentFailed(ctx: WorkerContext, hook: RazorpayWebhook): Promise<HandlerResult> {
  const payment = hook.payload.payment?.entity;
  if (!payment) return { status: 'attention', outcome: 'payment.failed without a payment entity' };
  const located = await locatePayment(ctx.db, hook, payment.order_id);
  if ('ignored' in located) return { status: 'processed', outcome: located.ignored };
  return lockOrder(ctx, located.order, async (trx, order) => {
    const error = payment.error_description ?? 'payment failed';
    const inserted = await trx
      .insertInto('razorpay_payments')
      .values({
        payment_id: payment.id,
        order_id: order.id,
        amount: payment.amount,
        currency: payment.currency || located.currency,
        status: 'failed',
        error,
      })
      .onConflict((oc) => oc.column('payment_id').doNothing())
      .returning('payment_id')
      .executeTakeFirst();
    if (!inserted)
      return { status: 'processed', orderId: order.id, outcome: `payment ${payment.id} already recorded` };
    await addTimelineEvent(trx, {
      orderId: order.id,
      type: 'payment_failed',
      actor: ACTOR,
      message: `payment ${payment.id} failed: ${error}`,
      metadata: { paymentId: payment.id, amount: payment.amount },
    });
    if (order.payment_status === 'pending') {
      await setPaymentStatus(trx, {
        order: order,
        paymentStatus: 'failed',
        actor: ACTOR,
        reason: `payment ${payment.id} failed`,
      });
    }
    return {
      status: 'processed',
      orderId: order.id,
      outcome: `payment ${payment.id} failed; order stays ${order.status}`,
    };
  });
}

async function refundProcessed(
  ctx: WorkerContext,
  event: InboundEvent,
  hook: RazorpayWebhook,
): Promise<HandlerResult> {
  const refund = hook.payload.refund?.entity;
  if (!refund) return { status: 'attention', outcome: 'refund.processed without a refund entity' };
  const located = await locateRefund(ctx.db, hook, refund);
  if ('ignored' in located) return { status: 'processed', outcome: located.ignored };
  return lockOrder(ctx, located, async (trx, order) => {
    const ourId = ourIdIn(refund.notes, 'refundId');
    let query = trx.selectFrom('storefront_refunds').selectAll().where('order_id', '=', order.id);
    query = query.where((eb) =>
      ourId
        ? eb.or([eb('razorpay_refund_id', '=', refund.id), eb('id', '=', ourId)])
        : eb('razorpay_refund_id', '=', refund.id),
    );
    const ours = await query.forUpdate().executeTakeFirst();
    if (ours?.status === 'processed') {
      return { status: 'processed', orderId: order.id, outcome: `refund ${refund.id} already settled` };
    }
    if (ours) {
      await trx
        .updateTable('storefront_refunds')
        .set({ status: 'processed', razorpay_refund_id: refund.id, updated_at: new Date() })
        .where('id', '=', ours.id)
        .execute();
      await addTimelineEvent(trx, {
        orderId: order.id,
        type: 'refund_settled',
        actor: ACTOR,
        message: `refund ${refund.id} of ${refund.amount} processed by Razorpay`,
        metadata: { refundId: ours.id, razorpayRefundId: refund.id, amount: refund.amount },
      });
      return { status: 'processed', orderId: order.id, outcome: `refund ${refund.id} settled` };
    }
    // A refund made outside the gateway (Razorpay's dashboard): the money is gone, so it is recorded.
    try {
      await refundOrder(trx, {
        order: order,
        actor: ACTOR,
        amount: refund.amount,
        reason: `refund ${refund.id} made at Razorpay`,
      });
    } catch (err) {
      if (!(err instanceof AppError) || err.retryable) throw err;
      const reason = `refund ${refund.id} of ${refund.amount} cannot be recorded: ${err.message}`;
      await flagAttention(trx, {
        order: order,
        reason: reason,
        actor: ACTOR,
        intervention: {
          source: 'payment_mismatch',
          causeKey: `refund_mismatch:${refund.id}`,
          summary: reason,
          eventId: event.id,
          actions: ['review_order', 'resolve'],
        },
      });
      return { status: 'attention', orderId: order.id, outcome: reason };
    }
    await trx
      .insertInto('storefront_refunds')
      .values({
        order_id: order.id,
        amount: refund.amount,
        reason: 'made at Razorpay',
        status: 'processed',
        payment_id: refund.payment_id,
        razorpay_refund_id: refund.id,
        actor: ACTOR,
      })
      .execute();
    return { status: 'processed', orderId: order.id, outcome: `refund ${refund.id} recorded` };
  });
}
