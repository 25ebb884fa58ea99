import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flagAttention } from '../../src/orders/attention.js';
import { withOrderLock } from '../../src/orders/locks.js';
import { type DeliveryHarness, startDeliveryHarness } from '../durability/delivery-harness.js';
import { postJson, TEST_ADMIN_ACTOR, TEST_ADMIN_TOKEN, waitFor } from '../support/system.js';

interface InterventionDto {
  id: string;
  source: string;
  causeKey: string;
  state: 'open' | 'resolved';
  orderId: string | null;
  eventId: string | null;
  outboxId: number | null;
  summary: string;
  actions: string[];
  occurrences: number;
  resolvedBy: string | null;
  resolutionNote: string | null;
}

interface ListDto {
  data: InterventionDto[];
  total: number;
  page: number;
  limit: number;
}

describe('the interventions queue', () => {
  let h: DeliveryHarness;
  beforeAll(async () => {
    h = await startDeliveryHarness('interventions');
  });
  afterAll(async () => {
    await h?.stop();
  });

  const list = async (query: string) => {
    const res = await h.system.admin(`/admin/interventions?${query}`);
    expect(res.status).toBe(200);
    return (await res.json()) as ListDto;
  };
  const post = (path: string, body: unknown) =>
    h.system.admin(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const timelineOf = async (orderId: string) =>
    h.system.db
      .selectFrom('order_events')
      .select(['type', 'actor', 'message'])
      .where('order_id', '=', orderId)
      .orderBy('id')
      .execute();
  const newManualOrder = (externalOrderId: string, warehouse: string) =>
    postJson(
      `${h.system.baseUrl}/api/orders`,
      {
        externalOrderId,
        currency: 'TRY',
        warehouse,
        items: [{ sku: 'W', name: 'w', quantity: 1, unitPrice: 1 }],
      },
      { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'idempotency-key': `key-${externalOrderId}` },
    );

  describe('when an order is flagged for attention twice for one cause', () => {
    let orderId: string;
    let entry: InterventionDto;
    it('holds one open entry naming the order, seen twice', async () => {
      const order = await h.newOrder();
      orderId = order.id;
      for (let i = 0; i < 2; i++) {
        await withOrderLock(h.system.db, order.channel, order.external_order_id, (trx) =>
          flagAttention(trx, { order, reason: 'customer disputes the delivery', actor: 'test' }),
        );
      }
      const { data, total } = await list(`source=order_attention&orderId=${orderId}`);
      expect(total).toBe(1);
      entry = data[0] as InterventionDto;
      expect(entry).toMatchObject({ state: 'open', orderId, occurrences: 2 });
      expect(entry.summary).toContain('customer disputes the delivery');
      const one = await h.system.admin(`/admin/interventions/${entry.id}`);
      expect(((await one.json()) as InterventionDto).causeKey).toBe(`order_attention:${orderId}`);
    });

    it('resolving it records who and why on the timeline and clears the flag', async () => {
      const res = await post(`/admin/interventions/${entry.id}/resolve`, { note: 'refunded by phone' });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        state: 'resolved',
        resolvedBy: TEST_ADMIN_ACTOR,
        resolutionNote: 'refunded by phone',
      });
      const order = await h.system.db
        .selectFrom('orders')
        .select('attention_reason')
        .where('id', '=', orderId)
        .executeTakeFirstOrThrow();
      expect(order.attention_reason).toBeNull();
      const resolved = (await timelineOf(orderId)).find((e) => e.type === 'intervention_resolved');
      expect(resolved).toMatchObject({ actor: TEST_ADMIN_ACTOR });
      expect(resolved?.message).toContain('refunded by phone');
    });

    it('refuses a second resolution with 409', async () => {
      const res = await post(`/admin/interventions/${entry.id}/resolve`, { note: 'again, twice' });
      expect(res.status).toBe(409);
    });

    it('lists it under resolved, not open', async () => {
      expect((await list(`state=open&orderId=${orderId}`)).total).toBe(0);
      expect((await list(`state=resolved&orderId=${orderId}`)).total).toBe(1);
    });
  });

  describe('when the order attention is resolved on the order', () => {
    it('resolves its entry too', async () => {
      const order = await h.newOrder();
      await withOrderLock(h.system.db, order.channel, order.external_order_id, (trx) =>
        flagAttention(trx, { order, reason: 'stock count differs', actor: 'test' }),
      );
      const res = await post(`/admin/orders/${order.id}/resolve`, { note: 'recounted' });
      expect(res.status).toBe(200);
      expect((await list(`state=open&orderId=${order.id}`)).total).toBe(0);
      expect((await list(`state=resolved&orderId=${order.id}`)).data[0]?.resolutionNote).toBe('recounted');
    });
  });

  describe('when the provider refuses a call for good', () => {
    it('opens a rule refusal entry for the outbox message, with a replay', async () => {
      const order = await h.newOrder();
      h.deliveries.fail({ status: 422, body: { message: 'address outside the zone' } });
      const outboxId = await h.requestDelivery(order.id);
      const entry = await waitFor(
        async () => (await list(`orderId=${order.id}&source=rule_refusal`)).data[0],
      );
      expect(entry).toMatchObject({ outboxId, causeKey: `outbox:${outboxId}`, state: 'open' });
      expect(entry.actions).toContain('replay');
      expect(entry.summary).toContain('refused');
    });
  });

  describe('when a message exhausts its attempts', () => {
    it('opens a dead outbox entry; replaying from the entry delivers it and reconciliation settles it', async () => {
      const order = await h.newOrder();
      h.deliveries.fail({ status: 503 }, { status: 503 });
      const outboxId = await h.requestDelivery(order.id);
      const entry = await waitFor(async () => (await list(`orderId=${order.id}&source=dead_outbox`)).data[0]);
      expect(entry.outboxId).toBe(outboxId);
      const replay = await post(`/admin/interventions/${entry.id}/replay`, {});
      expect(replay.status).toBe(202);
      await waitFor(async () => (await h.outboxRow(outboxId)).status === 'delivered');
      expect((await list(`orderId=${order.id}&source=dead_outbox&state=open`)).total).toBe(1);
      const run = await post('/admin/reconciliation/runs', {});
      expect(run.status).toBe(201);
      const settled = (await list(`orderId=${order.id}&source=dead_outbox`)).data[0];
      expect(settled).toMatchObject({ state: 'resolved', resolvedBy: 'reconciliation' });
    });
  });

  describe('when an event needs attention and its replay succeeds', () => {
    it('opens a dead-event entry, and the processed replay resolves it', async () => {
      const res = await newManualOrder('interventions-wh', 'WH-LATER');
      expect(res.status).toBe(202);
      const { eventId } = (await res.json()) as { eventId: string };
      const entry = await waitFor(async () =>
        (await list('source=dead_event&state=open')).data.find((e) => e.eventId === eventId),
      );
      expect(entry.summary).toContain('unknown warehouse WH-LATER');
      expect(entry.actions).toContain('replay');

      const created = await h.system.admin('/admin/warehouses/WH-LATER', {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ category: 'market', name: 'later', channel: 'manual' }),
      });
      expect(created.status).toBe(200);
      await h.system.admin('/admin/warehouses/WH-LATER/stock', {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ items: [{ sku: 'W', onHand: 5 }] }),
      });
      const replay = await post(`/admin/interventions/${entry.id}/replay`, {});
      expect(replay.status).toBe(202);
      const resolved = await waitFor(async () => {
        const one = (await (
          await h.system.admin(`/admin/interventions/${entry.id}`)
        ).json()) as InterventionDto;
        return one.state === 'resolved' ? one : undefined;
      });
      expect(resolved).toMatchObject({ resolvedBy: 'worker' });
      expect(resolved.resolutionNote).toContain('processed');
    });
  });

  describe('when an inbound event is dead', () => {
    it('opens a dead-event entry with its error and a replay', async () => {
      // The delivery integration receives no inbound events: its handler refuses them for good.
      const { eventId } = await h.system.process.services.ctx.ingest({
        source: 'delivery',
        dedupKey: `dead-event-${Date.now()}`,
        eventType: 'anything',
        payload: {},
      });
      const entry = await waitFor(async () =>
        (await list('source=dead_event&state=open')).data.find((e) => e.eventId === eventId),
      );
      expect(entry.causeKey).toBe(`event:${eventId}`);
      expect(entry.summary).toContain('is dead');
      expect(entry.summary).toContain('receives no inbound events');
      expect(entry.actions).toContain('replay');
    });
  });

  describe('when an entry names nothing to replay', () => {
    it('answers 409 and leaves it open', async () => {
      const order = await h.newOrder();
      await withOrderLock(h.system.db, order.channel, order.external_order_id, (trx) =>
        flagAttention(trx, { order, reason: 'nothing to replay here', actor: 'test' }),
      );
      const entry = (await list(`orderId=${order.id}`)).data[0] as InterventionDto;
      const res = await post(`/admin/interventions/${entry.id}/replay`, {});
      expect(res.status).toBe(409);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('rule_nothing_to_replay');
      expect((await list(`orderId=${order.id}&state=open`)).total).toBe(1);
    });
  });

  describe('when the request is wrong', () => {
    it('answers 400 for a note that is too short, and resolves nothing', async () => {
      const order = await h.newOrder();
      await withOrderLock(h.system.db, order.channel, order.external_order_id, (trx) =>
        flagAttention(trx, { order, reason: 'short note case', actor: 'test' }),
      );
      const entry = (await list(`orderId=${order.id}`)).data[0] as InterventionDto;
      const res = await post(`/admin/interventions/${entry.id}/resolve`, { note: 'x' });
      expect(res.status).toBe(400);
      expect((await list(`orderId=${order.id}&state=open`)).total).toBe(1);
    });

    it('answers 404 for an unknown entry and 400 for an id that is not a uuid', async () => {
      expect((await h.system.admin('/admin/interventions/00000000-0000-4000-8000-000000000000')).status).toBe(
        404,
      );
      expect((await h.system.admin('/admin/interventions/nope')).status).toBe(400);
    });

    it('answers 400 for an unknown source or a limit past the cap', async () => {
      expect((await h.system.admin('/admin/interventions?source=gossip')).status).toBe(400);
      expect((await h.system.admin('/admin/interventions?limit=201')).status).toBe(400);
    });

    it('answers 409 when acknowledging an entry that is not a reconciliation finding', async () => {
      const order = await h.newOrder();
      await withOrderLock(h.system.db, order.channel, order.external_order_id, (trx) =>
        flagAttention(trx, { order, reason: 'not a finding', actor: 'test' }),
      );
      const entry = (await list(`orderId=${order.id}`)).data[0] as InterventionDto;
      const res = await post(`/admin/interventions/${entry.id}/acknowledge`, { note: 'looked at it' });
      expect(res.status).toBe(409);
      expect((await list(`orderId=${order.id}&state=open`)).total).toBe(1);
    });

    it('answers 401 without the admin token', async () => {
      expect((await fetch(`${h.system.baseUrl}/admin/interventions`)).status).toBe(401);
    });
  });
});
