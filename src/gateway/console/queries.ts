import type { Db } from '../../db/index.js';

/** What the console's order page shows beside the order itself: every row is read-only here. */
export async function orderRecords(db: Db, order: { id: string; channel: string; externalOrderId: string }) {
  const [events, outbox, payments, refunds] = await Promise.all([
    // The raw inbound events behind the order: its channel's events naming its external id.
    db
      .selectFrom('inbound_events')
      .selectAll()
      .where('source', '=', order.channel)
      .where('external_order_id', '=', order.externalOrderId)
      .orderBy('received_at')
      .limit(200)
      .execute(),
    db.selectFrom('outbox').selectAll().where('order_id', '=', order.id).orderBy('id').limit(200).execute(),
    db
      .selectFrom('razorpay_payments')
      .selectAll()
      .where('order_id', '=', order.id)
      .orderBy('updated_at')
      .execute(),
    db
      .selectFrom('storefront_refunds')
      .selectAll()
      .where('order_id', '=', order.id)
      .orderBy('created_at')
      .execute(),
  ]);
  return { events, outbox, payments, refunds };
}

export type OrderRecords = Awaited<ReturnType<typeof orderRecords>>;
