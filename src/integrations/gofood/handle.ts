/**
 * GoFood notifications → order commands. The rules (lifecycle order, late events, terminal states, payment
 * independence, provisional deadline rejection) are described in docs/gofood.md.
 */
import type { InboundEvent } from '../../db/schema.js';
import { findOrderByExternalId } from '../../orders/locks.js';
import { withLockedOrder } from '../kit/orders.js';
import type { HandlerResult, WorkerContext } from '../types.js';
import { createFromEvent } from './create.js';
import { ensureDeadline } from './deadline.js';
import { classifyEvent, GOFOOD_SOURCE, parseTimestamp, UnusablePayloadError } from './mapping.js';
import { notificationSchema } from './schema.js';
import { applyEvent } from './status.js';

export async function handleGofoodEvent(ctx: WorkerContext, event: InboundEvent): Promise<HandlerResult> {
  const parsed = notificationSchema.safeParse(event.payload);
  if (!parsed.success) {
    return {
      status: 'attention',
      outcome: `unusable GoFood notification: ${parsed.error.issues[0]?.message}`,
    };
  }
  const notification = parsed.data;
  const kind = classifyEvent(notification.header.event_name);
  const orderNumber = notification.body.order?.order_number ?? event.external_order_id ?? undefined;
  if (kind.kind === 'unknown') {
    return { status: 'attention', outcome: `unknown GoFood event ${kind.name || '(no event_name)'}` };
  }
  if (!orderNumber) return { status: 'attention', outcome: 'GoFood notification without order_number' };

  let result: HandlerResult | undefined;
  const existing = await findOrderByExternalId(ctx.db, GOFOOD_SOURCE, orderNumber);
  if (!existing) {
    try {
      result = await createFromEvent(ctx, event, notification, kind, orderNumber);
    } catch (err) {
      if (err instanceof UnusablePayloadError) {
        return { status: 'attention', outcome: `cannot create GoFood order ${orderNumber}: ${err.message}` };
      }
      throw err;
    }
  }
  // An existing order, or one created concurrently by another event (createOrder returned it).
  result ??= await withLockedOrder(
    ctx.db,
    { channel: GOFOOD_SOURCE, externalOrderId: orderNumber },
    (trx, order) => applyEvent(trx, order, event, notification, kind),
  );
  if (kind.kind === 'step' && kind.step === 'awaiting_merchant_acceptance' && result.orderId) {
    // Also on a re-run: scheduling is idempotent (job id per order), and a crash between the commit and the
    // schedule must not leave the order without its deadline.
    await ensureDeadline(ctx, result.orderId, {
      stateBeganAt: parseTimestamp(notification.header.timestamp ?? undefined),
      receivedAt: event.received_at,
    });
  }
  return result;
}
