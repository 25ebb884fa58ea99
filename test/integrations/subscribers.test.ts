import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subscriberJobId } from '../../src/integrations/subscribers/index.js';
import { GOFOOD_NOTIFICATION_SECRET } from '../support/fake-gobiz.js';
import { startTestSystem, type TestSystem, waitFor } from '../support/system.js';
import { deliver, gofoodOrder, orderNumber } from './gofood/helpers.js';

/** Seed 003: every integration hands a new order to SUBSCRIBER_EVENTS (Yemeksepeti and manual: their own tests). */
describe('SUBSCRIBER_EVENTS for GoFood orders', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ env: { GOFOOD_NOTIFICATION_SECRET } });
  });
  afterAll(async () => {
    await system?.stop();
  });
  const published = (orderId: string) =>
    system.process.services.queues.subscriberEvents.getJob(subscriberJobId(orderId));

  describe('when the first event creates the order', () => {
    it('publishes order.created once, even when the event is delivered again', async () => {
      const number = orderNumber('SUB');
      await deliver(system, 'merchant_accepted', { orderNumber: number }, { eventId: `${number}-e1` });
      const order = await gofoodOrder(system, number);
      const job = await waitFor(() => published(order.id));
      expect(job.data).toMatchObject({
        type: 'order.created',
        orderId: order.id,
        channel: 'gofood',
        status: 'confirmed',
      });
      await deliver(system, 'merchant_accepted', { orderNumber: number }, { eventId: `${number}-e2` });
      const rows = await system.db
        .selectFrom('outbox')
        .select('id')
        .where('order_id', '=', order.id)
        .where('topic', '=', 'subscribers.order.created')
        .execute();
      expect(rows).toHaveLength(1);
    });
  });

  describe('when the first event we see is the cancellation', () => {
    it('records the order but does not hand it to subscribers', async () => {
      const number = orderNumber('SUBC');
      await deliver(system, 'cancelled', { orderNumber: number });
      const order = await gofoodOrder(system, number);
      expect(order.status).toBe('cancelled');
      const rows = await system.db
        .selectFrom('outbox')
        .select('topic')
        .where('order_id', '=', order.id)
        .execute();
      expect(rows.map((r) => r.topic)).not.toContain('subscribers.order.created');
    });
  });
});

describe('when SUBSCRIBER_EVENTS is off', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ env: { GOFOOD_NOTIFICATION_SECRET, SUBSCRIBER_EVENTS: 'off' } });
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('adds nothing to the queue and the timeline says it was not sent', async () => {
    const number = orderNumber('SUBOFF');
    await deliver(system, 'merchant_accepted', { orderNumber: number });
    const order = await gofoodOrder(system, number);
    const entry = await waitFor(async () => {
      const rows = await system.db
        .selectFrom('order_events')
        .selectAll()
        .where('order_id', '=', order.id)
        .where('type', '=', 'provider_call')
        .execute();
      return rows.find((r) => r.message.startsWith('subscribers.order.created'));
    });
    expect(entry.message).toContain('not sent');
    expect(
      await system.process.services.queues.subscriberEvents.getJob(subscriberJobId(order.id)),
    ).toBeUndefined();
  });
});
