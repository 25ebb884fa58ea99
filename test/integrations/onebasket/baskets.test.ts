import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  basketEvent,
  FakeProviderSystem,
  onebasketEnv,
  sendBasketEvent,
  signOnebasket,
} from '../../support/fake-onebasket.js';
import { postJson, startTestSystem, type TestSystem, waitFor } from '../../support/system.js';
import { basketView, deliver, inboxCount, onebasketOrder } from './helpers.js';

let system: TestSystem;
const shop = new FakeProviderSystem('shop', { lock: 'grant', order: 'pending', supportsCallbacks: true });

const item = (sku: string, quantity = 1) => ({ sku, name: `Item ${sku}`, quantity, unitPrice: 100 });
const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000);

beforeAll(async () => {
  system = await startTestSystem({ env: onebasketEnv });
  await shop.start();
  await shop.register(system);
});

afterAll(async () => {
  await system?.stop();
  await shop.close();
});

const quantities = async (basketId: string) =>
  (
    await system.db
      .selectFrom('onebasket_provider_baskets')
      .select('items')
      .where('basket_id', '=', basketId)
      .execute()
  ).flatMap((r) => r.items.map((i) => i.quantity));

describe('POST /webhooks/onebasket', () => {
  const event = basketEvent('BasketCreated', { id: 'basket-sig', providers: { shop: [item('A')] } });
  const body = JSON.stringify(event);

  for (const [condition, signature] of [
    ['the signature is missing', null],
    ['the signature is of another body', signOnebasket(`${body} `)],
    ['the signature is made with another secret', signOnebasket(body, 'another-secret-0123456789abcdef')],
    ['the signature is not 64 hex characters', `sha256=${'a'.repeat(63)}`],
    ['the signature has no sha256= prefix', signOnebasket(body).slice('sha256='.length)],
  ] as const) {
    describe(`when ${condition}`, () => {
      it('answers 401 and stores nothing', async () => {
        const before = await inboxCount(system);
        const res = await sendBasketEvent(system, event, signature);
        expect(res.status).toBe(401);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
        expect(await inboxCount(system)).toBe(before);
      });
    });
  }

  describe('when a body that is not JSON carries a wrong signature', () => {
    it('answers 401, not a parse error: the body is checked before it is parsed', async () => {
      const res = await postJson(`${system.baseUrl}/webhooks/onebasket`, '{"eventId":', {
        'x-onebasket-signature': signOnebasket('{"eventId":"e"}'),
      });
      expect(res.status).toBe(401);
    });
  });

  describe('when a signed body is not JSON', () => {
    it('answers 400 and stores nothing', async () => {
      const before = await inboxCount(system);
      const res = await postJson(`${system.baseUrl}/webhooks/onebasket`, '{"eventId":', {
        'x-onebasket-signature': signOnebasket('{"eventId":'),
      });
      expect(res.status).toBe(400);
      expect(await inboxCount(system)).toBe(before);
    });
  });

  describe('when the same eventId arrives twice', () => {
    it('stores it once and answers the second 200 duplicate', async () => {
      const first = await sendBasketEvent(system, event);
      const second = await sendBasketEvent(system, { ...event, occurredAt: new Date().toISOString() });
      expect(first.status).toBe(202);
      expect(second.status).toBe(200);
      const [a, b] = [
        (await first.json()) as { eventId: string },
        (await second.json()) as { eventId: string; duplicate: boolean },
      ];
      expect(b).toEqual({ eventId: a.eventId, duplicate: true });
    });
  });
});

describe('GET /admin/onebasket/baskets/:id', () => {
  describe('when no event ever named the basket', () => {
    it('answers 404 in the error envelope', async () => {
      const res = await system.admin('/admin/onebasket/baskets/basket-never-seen');
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({
        error: {
          code: 'not_found',
          message: 'basket not found',
          requestId: expect.any(String),
          details: { id: 'basket-never-seen' },
        },
      });
    });
  });
});

describe('basket state', () => {
  describe('when a payment intent holds the basket', () => {
    it('records a BasketUpdated and refuses it, and a deletion of the intent makes the basket mutable again', async () => {
      const id = 'basket-held';
      const basket = { id, providers: { shop: [item('A')] }, paymentIntent: { id: 'pi-held', amount: 100 } };
      await deliver(system, basketEvent('PaymentIntentCreated', basket));
      const refused = await deliver(
        system,
        basketEvent('BasketUpdated', { id, providers: { shop: [item('A', 5)] } }),
      );
      expect(refused.outcome).toBe(
        'BasketUpdated recorded, not applied: payment intent pi-held holds the basket: it is immutable',
      );
      const emptied = await deliver(system, basketEvent('BasketDeleted', { id, providers: {} }));
      expect(emptied.outcome).toContain('not applied');
      expect(await quantities(id)).toEqual([1]);

      await deliver(system, basketEvent('PaymentIntentDeleted', basket));
      await deliver(system, basketEvent('BasketUpdated', { id, providers: { shop: [item('A', 5)] } }));
      expect(await quantities(id)).toEqual([5]);
      const view = await basketView(system, id);
      expect(view.state).toBe('mutable');
      expect(view.history.filter((h) => h.providerId === null).map((h) => [h.type, h.applied])).toEqual([
        ['PaymentIntentCreated', true],
        ['BasketUpdated', false],
        ['BasketDeleted', false],
        ['PaymentIntentDeleted', true],
        ['BasketUpdated', true],
      ]);
    });
  });

  describe('when a mutable basket is deleted', () => {
    it('empties it', async () => {
      const id = 'basket-emptied';
      await deliver(system, basketEvent('BasketUpdated', { id, providers: { shop: [item('A', 2)] } }));
      const emptied = await deliver(
        system,
        basketEvent('BasketDeleted', { id, providers: { shop: [item('A', 2)] } }),
      );
      expect(emptied.outcome).toBe('BasketDeleted applied (empty)');
      expect(await quantities(id)).toEqual([]);
      expect((await basketView(system, id)).state).toBe('mutable');
    });
  });

  describe('when a payment intent older than the last update arrives after it', () => {
    it('keeps the newer content and asks no provider for a lock: that intent was deleted before the update', async () => {
      const id = 'basket-late-intent';
      await deliver(
        system,
        basketEvent(
          'BasketUpdated',
          { id, providers: { shop: [item('A', 4)] } },
          { occurredAt: minutesAgo(1) },
        ),
      );
      const late = await deliver(
        system,
        basketEvent(
          'PaymentIntentCreated',
          { id, providers: { shop: [item('A', 1)] }, paymentIntent: { id: 'pi-late', amount: 100 } },
          { occurredAt: minutesAgo(2) },
        ),
      );
      expect(late.outcome).toContain('PaymentIntentCreated recorded, not applied');
      const view = await basketView(system, id);
      expect([view.state, view.paymentIntent]).toEqual(['mutable', null]);
      expect(await quantities(id)).toEqual([4]);
      expect(shop.locks.calls.filter((c) => (c.body as { basketId: string }).basketId === id)).toHaveLength(
        0,
      );
    });
  });

  describe('when BasketComplete names a newer payment intent than the one holding the basket', () => {
    it('makes the order of the content that was paid for, not of the older intent', async () => {
      const id = 'basket-paid-other-intent';
      await deliver(
        system,
        basketEvent(
          'PaymentIntentCreated',
          { id, providers: { shop: [item('A', 1)] }, paymentIntent: { id: 'pi-first', amount: 100 } },
          { occurredAt: minutesAgo(3) },
        ),
      );
      // pi-first was deleted, the basket updated and pi-second created: those events have not reached us.
      const paid = {
        id,
        providers: { shop: [item('A', 3)] },
        paymentIntent: { id: 'pi-second', amount: 300 },
      };
      await deliver(system, basketEvent('BasketComplete', paid));
      const order = await onebasketOrder(system, id);
      expect(order.total).toBe(300);
      expect(await quantities(id)).toEqual([3]);
      const view = await basketView(system, id);
      expect([view.state, view.paymentIntent]).toEqual([
        'completed',
        { id: 'pi-second', amount: 300, state: null },
      ]);
      const mismatch = await system.db
        .selectFrom('interventions')
        .select('id')
        .where('order_id', '=', order.id)
        .execute();
      expect(mismatch).toEqual([]);
    });
  });

  describe('when a provider of the basket is not registered', () => {
    it("puts the failed lock call on the basket's history and leaves its lock requested", async () => {
      const id = 'basket-unknown-provider';
      const basket = {
        id,
        providers: { nobody: [item('N')] },
        paymentIntent: { id: 'pi-nobody', amount: 100 },
      };
      await deliver(system, basketEvent('PaymentIntentCreated', basket));
      const failed = await waitFor(async () => {
        const view = await basketView(system, id);
        return view.history.find((h) => h.type === 'lock');
      });
      expect(failed).toMatchObject({ applied: false, providerId: 'nobody' });
      expect(failed.note).toContain('provider nobody is not registered');
      expect((await basketView(system, id)).paymentIntent?.state).toBe('locking');
    });
  });

  describe('when a basket is completed without any items', () => {
    it('makes no order and marks the event for attention', async () => {
      const done = await deliver(
        system,
        basketEvent('BasketComplete', { id: 'basket-empty', providers: {} }),
      );
      expect(done.status).toBe('attention');
      expect(done.outcome).toContain('no order was made');
      const orders = await system.db
        .selectFrom('orders')
        .select('id')
        .where('external_order_id', '=', 'basket-empty')
        .execute();
      expect(orders).toHaveLength(0);
    });
  });

  describe('when an update older than the content we hold arrives late', () => {
    it('records it and does not apply it', async () => {
      const id = 'basket-stale';
      await deliver(
        system,
        basketEvent(
          'BasketUpdated',
          { id, providers: { shop: [item('A', 2)] } },
          { occurredAt: minutesAgo(1) },
        ),
      );
      const late = await deliver(
        system,
        basketEvent(
          'BasketUpdated',
          { id, providers: { shop: [item('A', 9)] } },
          { occurredAt: minutesAgo(2) },
        ),
      );
      expect(late.outcome).toBe('BasketUpdated recorded, not applied: older than the basket content we hold');
      expect(await quantities(id)).toEqual([2]);
    });
  });

  describe('when the intent deletion arrives before its creation', () => {
    it('never lets that intent hold the basket nor ask for locks', async () => {
      const id = 'basket-reversed';
      const basket = {
        id,
        providers: { shop: [item('A')] },
        paymentIntent: { id: 'pi-reversed', amount: 100 },
      };
      await deliver(system, basketEvent('PaymentIntentDeleted', basket));
      const created = await deliver(system, basketEvent('PaymentIntentCreated', basket));
      expect(created.outcome).toContain('payment intent pi-reversed was deleted already');
      expect((await basketView(system, id)).state).toBe('mutable');
      expect(shop.locks.calls.filter((c) => (c.body as { basketId: string }).basketId === id)).toHaveLength(
        0,
      );
    });
  });

  describe('when BasketComplete arrives before the payment intent and the last update', () => {
    it('completes the basket for ever; the late events are recorded and refused', async () => {
      const id = 'basket-early-complete';
      const basket = {
        id,
        providers: { shop: [item('A', 3)] },
        paymentIntent: { id: 'pi-early', amount: 300 },
      };
      await deliver(system, basketEvent('BasketComplete', basket));
      for (const type of ['PaymentIntentCreated', 'BasketUpdated', 'PaymentIntentDeleted', 'BasketDeleted']) {
        const late = await deliver(
          system,
          basketEvent(
            type,
            { ...basket, providers: { shop: [item('A', 7)] } },
            { occurredAt: minutesAgo(1) },
          ),
        );
        expect(late.outcome).toBe(
          `${type} recorded, not applied: the basket is completed: it never changes again`,
        );
      }
      const again = await deliver(system, basketEvent('BasketComplete', basket));
      expect(again.outcome).toContain('the basket is completed already');
      const view = await basketView(system, id);
      expect(view.state).toBe('completed');
      expect(await quantities(id)).toEqual([3]);
      const order = await onebasketOrder(system, id);
      expect(order.total).toBe(300);
      const orders = await system.db
        .selectFrom('orders')
        .select('id')
        .where('external_order_id', '=', id)
        .execute();
      expect(orders).toHaveLength(1);
    });
  });
});
