import type { Db } from '../../src/db/index.js';
import { DELIVERY_REQUESTED } from '../../src/integrations/delivery/index.js';
import { createOrder } from '../../src/orders/create.js';
import type { FakeProvider } from '../support/fake-provider.js';
import { waitFor } from '../support/system.js';

/**
 * Makes the workers call a provider once: a new order with a `delivery.requested` outbox message, which the
 * relay hands to DELIVERY_WEBHOOK_URL (`delivery`, answering POST /deliveries). Returns the order id.
 */
export async function makeDeliveryCall(db: Db, delivery: FakeProvider, externalOrderId: string) {
  const { order } = await createOrder(db, {
    input: {
      channel: 'manual',
      externalOrderId,
      currency: 'TRY',
      items: [{ sku: 'A', name: 'a', quantity: 1, unitPrice: 100 }],
      actor: 'test',
    },
    announce: false,
  });
  await db
    .insertInto('outbox')
    .values({ order_id: order.id, topic: DELIVERY_REQUESTED, payload: { orderId: order.id } })
    .execute();
  await waitFor(() => delivery.requestsTo('POST', '/deliveries').some((r) => r.rawBody.includes(order.id)));
  return order.id;
}
