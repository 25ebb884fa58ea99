import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basketEvent, FakeProviderSystem, onebasketEnv } from '../../support/fake-onebasket.js';
import { postJson, startTestSystem, type TestSystem } from '../../support/system.js';
import { deliver, deliverCallback, inboxCount, onebasketOrder, settled } from './helpers.js';

let system: TestSystem;
const shop = new FakeProviderSystem('shop', { lock: 'grant', order: 'pending', supportsCallbacks: true });
const other = new FakeProviderSystem('other', { lock: 'grant', order: 'pending', supportsCallbacks: true });

const item = (sku: string) => ({ sku, name: `Item ${sku}`, quantity: 1, unitPrice: 100 });

beforeAll(async () => {
  system = await startTestSystem({ env: onebasketEnv });
  for (const provider of [shop, other]) {
    await provider.start();
    await provider.register(system);
  }
});

afterAll(async () => {
  await system?.stop();
  await Promise.all([shop.close(), other.close()]);
});

describe('POST /webhooks/providers/:providerId/events', () => {
  let providerOrderId = '';
  beforeAll(async () => {
    await deliver(
      system,
      basketEvent('BasketComplete', { id: 'basket-callbacks', providers: { shop: [item('S')] } }),
    );
    const order = await onebasketOrder(system, 'basket-callbacks');
    const row = await system.db
      .selectFrom('provider_orders')
      .select('id')
      .where('order_id', '=', order.id)
      .executeTakeFirstOrThrow();
    providerOrderId = row.id;
  });

  describe("when the token is another provider's", () => {
    it('answers 401 and stores nothing', async () => {
      const before = await inboxCount(system);
      const res = await shop.callback(system, providerOrderId, 'confirmed', { token: other.token });
      expect(res.status).toBe(401);
      expect(await inboxCount(system)).toBe(before);
    });
  });

  describe('when the provider is not registered', () => {
    it('answers 401 and stores nothing', async () => {
      const before = await inboxCount(system);
      const res = await postJson(
        `${system.baseUrl}/webhooks/providers/nobody/events`,
        { eventId: 'e1', providerOrderId, type: 'confirmed', occurredAt: new Date().toISOString() },
        { authorization: `Bearer ${shop.token}` },
      );
      expect(res.status).toBe(401);
      expect(await inboxCount(system)).toBe(before);
    });
  });

  describe('when the event type is unknown', () => {
    it('answers 400 and stores nothing', async () => {
      const before = await inboxCount(system);
      const res = await shop.callback(system, providerOrderId, 'teleported');
      expect(res.status).toBe(400);
      expect(await inboxCount(system)).toBe(before);
    });
  });

  describe("when a provider reports on another provider's order", () => {
    it('marks the event for attention and changes nothing', async () => {
      const { eventId } = await deliverCallback(other.callback(system, providerOrderId, 'fulfilled'));
      const row = await settled(system, eventId);
      expect(row.status).toBe('attention');
      const po = await system.db
        .selectFrom('provider_orders')
        .select('fulfilment_state')
        .where('id', '=', providerOrderId)
        .executeTakeFirstOrThrow();
      expect(po.fulfilment_state).toBeNull();
    });
  });

  describe('when fulfilment events arrive out of order', () => {
    it('moves forward only: a fulfilment event confirms a Sent order, an older one is recorded, not applied', async () => {
      const ready = await deliverCallback(shop.callback(system, providerOrderId, 'ready'));
      expect((await settled(system, ready.eventId)).outcome).toBe('shop ready: applied');
      const received = await deliverCallback(shop.callback(system, providerOrderId, 'received'));
      expect((await settled(system, received.eventId)).outcome).toContain(
        'not applied (late: already ready)',
      );
      const confirmed = await deliverCallback(shop.callback(system, providerOrderId, 'confirmed'));
      expect((await settled(system, confirmed.eventId)).outcome).toContain('not applied (already confirmed)');
      const po = await system.db
        .selectFrom('provider_orders')
        .selectAll()
        .where('id', '=', providerOrderId)
        .executeTakeFirstOrThrow();
      expect([po.processing_state, po.fulfilment_state]).toEqual(['confirmed', 'ready']);
      const order = await onebasketOrder(system, 'basket-callbacks');
      expect(order.status).toBe('shipped');
      const timeline = await system.db
        .selectFrom('order_events')
        .select('message')
        .where('order_id', '=', order.id)
        .where('type', '=', 'provider_order')
        .orderBy('id')
        .execute();
      expect(timeline.map((e) => e.message)).toEqual([
        'shop order ready (confirmed by it)',
        'shop reported received, recorded, not applied: late: already ready',
        'shop reported confirmed, recorded, not applied: already confirmed',
      ]);
    });
  });
});
