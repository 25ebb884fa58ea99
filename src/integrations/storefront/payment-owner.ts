/**
 * Which of our orders a Razorpay event is about. A Razorpay account is often shared with other systems, so
 * its webhooks also report payments that are none of ours. Every Razorpay order we create carries our order
 * number as `receipt` and our order id as `notes.orderId`, and its id is kept in `razorpay_orders`; every
 * refund we ask for carries `notes.refundId`. An event that points at none of these is settled as ignored,
 * never retried. One that points at an order of ours we cannot place yet (our record of its Razorpay order,
 * or of its payment, has not committed: the create call succeeded at Razorpay but its answer is not stored)
 * is retried until it can be placed.
 */
import { z } from 'zod';
import type { Executor } from '../../db/index.js';
import type { Order } from '../../db/schema.js';
import { AppError } from '../../lib/errors.js';
import type { RazorpayWebhook, RefundEntity } from '../razorpay/schema.js';
import { STOREFRONT_SOURCE } from './schema.js';

export interface Located {
  order: Order;
  razorpayOrderId: string;
  currency: string;
}

/** The event is none of ours; the outcome says why. */
export interface Ignored {
  ignored: string;
}

const ourId = z.uuid();

/** A `notes` value that can be one of our ids (anything else is not queried: ids are uuids). */
export function ourIdIn(notes: Record<string, unknown> | undefined, key: string): string | undefined {
  const parsed = ourId.safeParse(notes?.[key]);
  return parsed.success ? parsed.data : undefined;
}

function notRecordedYet(message: string, details: Record<string, unknown>): AppError {
  return new AppError('conflict', message, { retryable: true, details });
}

function ignored(what: string): Ignored {
  return { ignored: `ignored: not an order of ours (${what}, no receipt or notes of ours)` };
}

/** Our order behind a Razorpay order id we hold. */
async function recordedOrder(db: Executor, razorpayOrderId: string): Promise<Located | undefined> {
  const row = await db
    .selectFrom('razorpay_orders')
    .innerJoin('orders', 'orders.id', 'razorpay_orders.order_id')
    .selectAll('orders')
    .select('razorpay_orders.currency as rz_currency')
    .where('razorpay_orders.razorpay_order_id', '=', razorpayOrderId)
    .executeTakeFirst();
  if (!row) return undefined;
  const { rz_currency, ...order } = row;
  return { order, razorpayOrderId, currency: rz_currency };
}

/** The number of the storefront order the event names by `receipt` or `notes.orderId`, if it names one. */
async function namedOrder(db: Executor, hook: RazorpayWebhook): Promise<string | undefined> {
  const { payment, order, refund } = hook.payload;
  const receipt = order?.entity.receipt;
  const ids = [order?.entity.notes, payment?.entity.notes, refund?.entity.notes]
    .map((notes) => ourIdIn(notes, 'orderId'))
    .filter((id) => id !== undefined);
  if (!receipt && ids.length === 0) return undefined;
  const row = await db
    .selectFrom('orders')
    .select('order_number')
    .where('channel', '=', STOREFRONT_SOURCE)
    .where((eb) =>
      eb.or([
        ...(receipt ? [eb('order_number', '=', receipt)] : []),
        ...(ids.length > 0 ? [eb('id', 'in', ids)] : []),
      ]),
    )
    .executeTakeFirst();
  return row?.order_number;
}

/** The order a payment event is about: found by its Razorpay order id, ignored, or (throws) retried. */
export async function locatePayment(
  db: Executor,
  hook: RazorpayWebhook,
  razorpayOrderId: string | null | undefined,
): Promise<Located | Ignored> {
  const located = razorpayOrderId ? await recordedOrder(db, razorpayOrderId) : undefined;
  if (located) return located;
  const named = await namedOrder(db, hook);
  if (named) {
    throw notRecordedYet(
      `Razorpay order ${razorpayOrderId ?? '(none)'} of order ${named} is not recorded yet`,
      {
        razorpayOrderId,
        orderNumber: named,
      },
    );
  }
  return ignored(`Razorpay order ${razorpayOrderId ?? '(none)'}`);
}

/**
 * The order a refund event is about: the one its payment was recorded for. A payment not recorded yet may
 * still be ours (its capture event is not processed yet), unless the payment the event carries is on a
 * Razorpay order that is none of ours; an event without its payment cannot say, so it is retried.
 */
export async function locateRefund(
  db: Executor,
  hook: RazorpayWebhook,
  refund: RefundEntity,
): Promise<Order | Ignored> {
  const paymentId = refund.payment_id;
  const row = await db
    .selectFrom('razorpay_payments')
    .innerJoin('orders', 'orders.id', 'razorpay_payments.order_id')
    .selectAll('orders')
    .where('razorpay_payments.payment_id', '=', paymentId)
    .executeTakeFirst();
  if (row) return row;
  const payment = hook.payload.payment?.entity;
  const refundId = ourIdIn(refund.notes, 'refundId');
  const ourRefund = refundId
    ? await db.selectFrom('storefront_refunds').select('id').where('id', '=', refundId).executeTakeFirst()
    : undefined;
  const razorpayOrderId = payment?.order_id;
  const ourRazorpayOrder = razorpayOrderId ? await recordedOrder(db, razorpayOrderId) : undefined;
  if (!payment || ourRefund || ourRazorpayOrder || (await namedOrder(db, hook))) {
    throw notRecordedYet(`no storefront payment ${paymentId} recorded yet`, {
      paymentId,
      razorpayOrderId,
    });
  }
  return ignored(`payment ${paymentId} on Razorpay order ${razorpayOrderId ?? '(none)'}`);
}
