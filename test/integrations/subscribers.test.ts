import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subscriberJobId } from '../../src/integrations/subscribers/index.js';
import { orderCreatedMessage } from '../../src/orders/events.js';
import { GOFOOD_NOTIFICATION_SECRET } from '../support/fake-gobiz.js';
import { startTestSystem, type TestSystem, waitFor } from '../support/system.js';
import { deliver, gofoodOrder, orderNumber } from './gofood/helpers.js';

/** Every integration hands a new order to SUBSCRIBER_EVENTS (Yemeksepeti and manual: their own tests). */
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

describe('how the relay hands order.created over', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ env: { GOFOOD_NOTIFICATION_SECRET } });
  });
  afterAll(async () => {
    await system?.stop();
  });
  const queues = () => system.process.services.queues;
  const providerCalls = async (orderId: string) =>
    (
      await system.db
        .selectFrom('order_events')
        .select('message')
        .where('order_id', '=', orderId)
        .where('type', '=', 'provider_call')
        .execute()
    ).map((e) => e.message);
  const outboxRow = (id: number) =>
    system.db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  it('publishes it straight to subscriber-events: no outbound job, the row delivered, the timeline says so', async () => {
    const number = orderNumber('SUBRELAY');
    await deliver(system, 'merchant_accepted', { orderNumber: number });
    const order = await gofoodOrder(system, number);
    const job = await waitFor(() => queues().subscriberEvents.getJob(subscriberJobId(order.id)));
    expect(job.data).toMatchObject({ type: 'order.created', orderId: order.id });
    const row = await system.db
      .selectFrom('outbox')
      .selectAll()
      .where('order_id', '=', order.id)
      .where('topic', '=', 'subscribers.order.created')
      .executeTakeFirstOrThrow();
    const settled = await waitFor(async () => {
      const fresh = await outboxRow(row.id);
      return fresh.status === 'delivered' ? fresh : undefined;
    });
    expect(settled.finished_at).not.toBeNull();
    expect(await queues().outbound.getJob(`outbox-${row.id}`)).toBeUndefined();
    expect(await providerCalls(order.id)).toContain(
      'subscribers.order.created delivered: published on subscriber-events',
    );
  });

  it('still publishes a row that reached the outbound queue (relayed before, or re-enqueued by the sweeper)', async () => {
    const number = orderNumber('SUBOLD');
    await deliver(system, 'cancelled', { orderNumber: number });
    const order = await gofoodOrder(system, number);
    // A row as an earlier relay left it: enqueued long ago, its job lost with Redis; the sweeper re-enqueues it.
    const id = await system.db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('outbox')
        .values({
          order_id: order.id,
          topic: 'subscribers.order.created',
          payload: orderCreatedMessage(order).payload,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await trx
        .updateTable('outbox')
        .set({ status: 'enqueued', enqueued_at: new Date(Date.now() - 60_000) })
        .where('id', '=', row.id)
        .execute();
      return row.id;
    });
    await waitFor(async () => ((await outboxRow(id)).status === 'delivered' ? true : undefined));
    expect(await queues().subscriberEvents.getJob(subscriberJobId(order.id))).toBeDefined();
  });

  it('settles a row it cannot publish as dead, flags the order with the reason, and relays the others', async () => {
    const number = orderNumber('SUBBAD');
    await deliver(system, 'cancelled', { orderNumber: number });
    const order = await gofoodOrder(system, number);
    const [bad, good] = await system.db
      .insertInto('outbox')
      .values([
        { order_id: order.id, topic: 'subscribers.order.created', payload: { orderId: 'not-a-uuid' } },
        {
          order_id: order.id,
          topic: 'subscribers.order.created',
          payload: orderCreatedMessage(order).payload,
        },
      ])
      .returning('id')
      .execute();
    const dead = await waitFor(async () => {
      const row = await outboxRow(bad?.id ?? 0);
      return row.status === 'dead' ? row : undefined;
    });
    expect(dead.last_error).toContain('cannot be published');
    const flagged = await system.db
      .selectFrom('orders')
      .select('attention_reason')
      .where('id', '=', order.id)
      .executeTakeFirstOrThrow();
    expect(flagged.attention_reason).toContain('subscribers.order.created failed: cannot be published');
    expect(await providerCalls(order.id)).toContainEqual(
      expect.stringMatching(
        /^subscribers\.order\.created failed \(attempt 1\), giving up: cannot be published/,
      ),
    );
    await waitFor(async () => ((await outboxRow(good?.id ?? 0)).status === 'delivered' ? true : undefined));
  });
});

describe('when the relay polls rarely', () => {
  let system: TestSystem;
  beforeAll(async () => {
    // A poll a minute: only the worker's nudge after the order's batch can publish within the test's wait.
    system = await startTestSystem({ env: { GOFOOD_NOTIFICATION_SECRET, OUTBOX_POLL_MS: '60000' } });
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('publishes a new order right after its batch commits, not at the next poll', async () => {
    // The relay's first pass ran at start; let it settle into its minute-long wait.
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const suffix of ['A', 'B']) {
      const number = orderNumber(`SUBNUDGE${suffix}`);
      await deliver(system, 'merchant_accepted', { orderNumber: number });
      const order = await gofoodOrder(system, number);
      const job = await waitFor(
        () => system.process.services.queues.subscriberEvents.getJob(subscriberJobId(order.id)),
        10_000,
      );
      expect(job.data).toMatchObject({ type: 'order.created', orderId: order.id });
    }
  });
});
