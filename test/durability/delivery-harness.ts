import type { Updateable } from 'kysely';
import type { Order, OutboxRow, OutboxTable } from '../../src/db/schema.js';
import { DELIVERY_REQUESTED } from '../../src/integrations/delivery/index.js';
import { createOrder } from '../../src/orders/create.js';
import { FakeProvider, type FakeRequest, type FakeRoute } from '../support/fake-provider.js';
import { startTestSystem, type TestSystem } from '../support/system.js';

/**
 * The product handing `delivery.requested` messages to a fake delivery domain (POST /deliveries answers 202
 * unless a fault is queued on `deliveries`), with OUTBOUND_ATTEMPTS 2: the outbox tests' common ground.
 */
export interface DeliveryHarness {
  system: TestSystem;
  delivery: FakeProvider;
  deliveries: FakeRoute;
  /** A new manual order (external ids `<name>-1`, `<name>-2`, …). */
  newOrder(): Promise<Order>;
  /** Writes a `delivery.requested` outbox message for the order, as an order's transaction would. */
  requestDelivery(orderId: string): Promise<number>;
  /**
   * A `delivery.requested` message for an order that does not exist, left in `status` as an earlier worker
   * would have (inserted and updated in one transaction: a pending row committed alone is the relay's to
   * claim). Its delivery succeeds and its settlement fails (the timeline's foreign key).
   */
  ghostMessage(ghostOrderId: string, status: Updateable<OutboxTable>): Promise<number>;
  outboxRow(id: number): Promise<OutboxRow>;
  /** The delivery domain's requests about the order. */
  callsFor(orderId: string): FakeRequest[];
  stop(): Promise<void>;
}

export async function startDeliveryHarness(name: string): Promise<DeliveryHarness> {
  const delivery = new FakeProvider();
  const base = await delivery.start();
  const deliveries = delivery.route('POST', '/deliveries', () => ({ status: 202, body: { accepted: true } }));
  const system = await startTestSystem({
    env: { DELIVERY_WEBHOOK_URL: `${base}/deliveries`, OUTBOUND_ATTEMPTS: '2' },
  });
  let seq = 0;
  return {
    system,
    delivery,
    deliveries,
    newOrder: async () => {
      seq++;
      const { order } = await createOrder(system.db, {
        input: {
          channel: 'manual',
          externalOrderId: `${name}-${seq}`,
          currency: 'TRY',
          items: [{ sku: 'A', name: 'a', quantity: 1, unitPrice: 100 }],
          actor: 'test',
        },
        announce: false,
      });
      return order;
    },
    requestDelivery: async (orderId) =>
      (
        await system.db
          .insertInto('outbox')
          .values({ order_id: orderId, topic: DELIVERY_REQUESTED, payload: { orderId } })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id,
    ghostMessage: (ghostOrderId, status) =>
      system.db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto('outbox')
          .values({ order_id: null, topic: DELIVERY_REQUESTED, payload: { orderId: ghostOrderId } })
          .returning('id')
          .executeTakeFirstOrThrow();
        await trx.updateTable('outbox').set(status).where('id', '=', row.id).execute();
        return row.id;
      }),
    outboxRow: (id) =>
      system.db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow(),
    callsFor: (orderId) =>
      delivery
        .requestsTo('POST', '/deliveries')
        .filter((r) => (r.body as { orderId?: string }).orderId === orderId),
    stop: async () => {
      await system.stop();
      await delivery.close();
    },
  };
}
