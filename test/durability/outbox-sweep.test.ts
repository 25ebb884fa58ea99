import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DELIVERY_REQUESTED } from '../../src/integrations/delivery/index.js';
import { type TestSystem, waitFor } from '../support/system.js';
import { type DeliveryHarness, startDeliveryHarness } from './delivery-harness.js';

/** The outbox twin of the inbox guarantees: a side effect handed to Redis is settled, or sent again. */
describe('outbox messages on the outbound queue', () => {
  let h: DeliveryHarness;
  let system: TestSystem;

  beforeAll(async () => {
    h = await startDeliveryHarness('outbox-sweep');
    system = h.system;
  });
  afterAll(async () => {
    await h?.stop();
  });

  describe('when the message is delivered', () => {
    it('the row is settled delivered', async () => {
      const order = await h.newOrder();
      const id = await h.requestDelivery(order.id);
      const settled = await waitFor(async () => {
        const r = await h.outboxRow(id);
        return r.status === 'delivered' ? r : undefined;
      });
      expect(settled.finished_at).toBeInstanceOf(Date);
      expect(h.callsFor(order.id)).toHaveLength(1);
    });
  });

  describe('when Redis lost the job after the relay marked the row enqueued', () => {
    it('the sweeper enqueues it again and it is delivered once', async () => {
      const order = await h.newOrder();
      // What the relay leaves behind before Redis loses its data: a row marked enqueued, no job.
      const inserted = await sql<{ id: number }>`
        insert into outbox (order_id, topic, payload, status, enqueued_at)
        values (${order.id}, ${DELIVERY_REQUESTED}, ${JSON.stringify({ orderId: order.id })}::jsonb, 'enqueued',
                now() - interval '1 hour')
        returning id`.execute(system.db);
      const row = inserted.rows[0];
      if (!row) throw new Error('insert returned nothing');
      expect(await system.process.services.queues.outbound.getJob(`outbox-${row.id}`)).toBeUndefined();
      await waitFor(async () => (await h.outboxRow(row.id)).status === 'delivered');
      expect(h.callsFor(order.id)).toHaveLength(1);
    });
  });

  describe('when the delivery domain refuses the message for good', () => {
    it('the row is settled dead with the error', async () => {
      const order = await h.newOrder();
      h.deliveries.fail({ status: 422, body: { message: 'unknown order' } });
      const id = await h.requestDelivery(order.id);
      const settled = await waitFor(async () => {
        const r = await h.outboxRow(id);
        return r.status === 'dead' ? r : undefined;
      });
      expect(settled.last_error).toContain('422');
    });
  });

  describe('when the delivery succeeds but its settlement cannot be written', () => {
    it('does not send it again: the job completes and the sweeper settles the row', async () => {
      // The job names an order that does not exist, so the settlement's timeline insert fails (foreign key).
      const ghost = randomUUID();
      const id = await h.ghostMessage(ghost, { status: 'enqueued', enqueued_at: new Date() });
      const job = await system.process.services.queues.outbound.add(
        DELIVERY_REQUESTED,
        { outboxId: id, topic: DELIVERY_REQUESTED, orderId: ghost, payload: { orderId: ghost } },
        { jobId: `outbox-${id}` },
      );
      await waitFor(async () => ((await h.outboxRow(id)).status === 'delivered' ? true : undefined));
      expect(await job.getState()).toBe('completed');
      await new Promise((r) => setTimeout(r, 500));
      expect(h.callsFor(ghost)).toHaveLength(1);
    });
  });
});
