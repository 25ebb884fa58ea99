import type { Executor } from '../db/index.js';
import type { Order } from '../db/schema.js';
import { AppError } from '../lib/errors.js';
import { type CommandContext, changeOrder } from './change.js';
import { type PaymentStatus, paymentStatuses } from './status.js';

export interface PaymentStatusInput extends CommandContext {
  order: Order;
  paymentStatus: PaymentStatus;
}

/** Sets the order's payment status (a no-op when it already has it), with a timeline entry. */
export async function setPaymentStatus(trx: Executor, input: PaymentStatusInput): Promise<Order> {
  const { order, paymentStatus } = input;
  if (order.payment_status === paymentStatus) return order;
  if (!(paymentStatuses as readonly string[]).includes(paymentStatus)) {
    throw new AppError('validation_failed', `unknown payment status ${paymentStatus}`, { retryable: false });
  }
  return changeOrder(
    trx,
    order.id,
    { payment_status: paymentStatus },
    {
      type: 'payment_status_changed',
      actor: input.actor,
      message: input.reason ?? `payment ${order.payment_status} → ${paymentStatus}`,
      metadata: { from: order.payment_status, to: paymentStatus, ...input.metadata },
    },
  );
}
