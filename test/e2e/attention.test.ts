import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DELIVERY_REQUESTED } from '../../src/integrations/delivery/index.js';
import { type DeliveryHarness, startDeliveryHarness } from '../durability/delivery-harness.js';
import { TEST_ADMIN_ACTOR, waitFor } from '../support/system.js';

interface OrderDetail {
  id: string;
  attentionReason: string | null;
  timeline: { type: string; actor: string; message: string }[];
}

interface Envelope {
  error: { code: string; message: string; requestId: string };
}

/** An operator's answer to an order flagged for attention: `POST /admin/orders/:id/resolve`. */
describe('resolving an order flagged for attention', () => {
  let h: DeliveryHarness;
  beforeAll(async () => {
    h = await startDeliveryHarness('attention');
  });
  afterAll(async () => {
    await h?.stop();
  });

  const detail = async (id: string): Promise<OrderDetail> =>
    (await (await h.system.admin(`/admin/orders/${id}`)).json()) as OrderDetail;
  const resolve = (id: string, body: unknown) =>
    h.system.admin(`/admin/orders/${id}/resolve`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  /** The reconciliation report's count and sample of orders flagged for attention. */
  const attentionOrders = async () => {
    const run = await h.system.admin('/admin/reconciliation/runs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(run.status).toBe(201);
    return ((await run.json()) as { report: { attentionOrders: { count: number; sample: string[] } } }).report
      .attentionOrders;
  };
  /** An order the system flagged itself: its delivery hand-off was refused for good. */
  const flaggedOrder = async () => {
    const order = await h.newOrder();
    h.deliveries.fail({ status: 422, body: { message: 'address outside the zone' } });
    await h.requestDelivery(order.id);
    return waitFor(async () => {
      const d = await detail(order.id);
      return d.attentionReason ? d : undefined;
    });
  };

  describe('when the order is flagged', () => {
    let flagged: OrderDetail;
    it('clears the flag and records the note and the old reason on the timeline', async () => {
      flagged = await flaggedOrder();
      expect(flagged.attentionReason).toContain(`${DELIVERY_REQUESTED} failed`);
      const before = await attentionOrders();
      expect(before.sample).toContain(flagged.id);
      const res = await resolve(flagged.id, { note: '  courier booked by phone  ' });
      expect(res.status).toBe(200);
      const body = (await res.json()) as OrderDetail;
      expect(body.attentionReason).toBeNull();
      const entry = body.timeline.find((e) => e.type === 'attention_resolved');
      expect(entry).toMatchObject({ actor: TEST_ADMIN_ACTOR });
      expect(entry?.message).toBe(
        `attention resolved: courier booked by phone (was: ${flagged.attentionReason ?? ''})`,
      );
      const after = await attentionOrders();
      expect(after.count).toBe(before.count - 1);
      expect(after.sample).not.toContain(flagged.id);
    });

    it('answers 409 when resolved again, and the timeline keeps one resolution', async () => {
      const res = await resolve(flagged.id, { note: 'clicked twice' });
      expect(res.status).toBe(409);
      expect(((await res.json()) as Envelope).error.code).toBe('rule_no_attention');
      const after = await detail(flagged.id);
      expect(after.timeline.filter((e) => e.type === 'attention_resolved')).toHaveLength(1);
    });
  });

  describe('when the note is missing, too short, too long or not text', () => {
    it.each([
      ['no body', undefined],
      ['no note', {}],
      ['a blank note', { note: '   ' }],
      ['two letters', { note: 'ok' }],
      ['501 characters', { note: 'x'.repeat(501) }],
      ['a number', { note: 42 }],
    ])('answers 400 for %s and the order stays flagged', async (_name, body) => {
      const flagged = await flaggedOrder();
      const res = await resolve(flagged.id, body);
      expect(res.status).toBe(400);
      expect(((await res.json()) as Envelope).error.code).toBe('validation_failed');
      const after = await detail(flagged.id);
      expect(after.attentionReason).toBe(flagged.attentionReason);
      expect(after.timeline).toEqual(flagged.timeline);
    });
  });

  describe('when the order does not exist', () => {
    it('answers 404', async () => {
      const res = await resolve('6f1c0c7e-2b43-4f0e-9d3c-0a1b2c3d4e5f', { note: 'nothing to see' });
      expect(res.status).toBe(404);
      expect(((await res.json()) as Envelope).error.code).toBe('not_found');
    });
  });
});
