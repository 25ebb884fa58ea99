import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basketEvent, FakeProviderSystem, onebasketEnv } from '../../support/fake-onebasket.js';
import { startTestSystem, type TestSystem, waitFor } from '../../support/system.js';
import {
  basketView,
  customerView,
  deliver,
  deliverCallback,
  onebasketOrder,
  orderDetail,
  settled,
} from './helpers.js';

let system: TestSystem;
const instant = new FakeProviderSystem('instant', {
  lock: 'grant',
  order: 'confirm',
  supportsCallbacks: false,
});
const kitchen = new FakeProviderSystem('kitchen', {
  lock: 'grant',
  order: 'pending',
  supportsCallbacks: true,
});
const refuser = new FakeProviderSystem('refuser', {
  lock: 'refuse',
  order: 'confirm',
  supportsCallbacks: false,
});
const rejecter = new FakeProviderSystem('rejecter', {
  lock: 'grant',
  order: 'reject',
  supportsCallbacks: true,
});
const flaky = new FakeProviderSystem('flaky', { lock: 'grant', order: 'confirm', supportsCallbacks: false });
const gone = new FakeProviderSystem('gone', { lock: 'grant', order: 'confirm', supportsCallbacks: false });
const providers = [instant, kitchen, refuser, rejecter, flaky, gone];

const item = (sku: string, unitPrice: number, quantity = 1) => ({
  sku,
  name: `Item ${sku}`,
  quantity,
  unitPrice,
});

beforeAll(async () => {
  system = await startTestSystem({
    env: { ...onebasketEnv, OUTBOUND_ATTEMPTS: '4', ONEBASKET_UNANSWERED_AFTER_MS: '0' },
  });
  for (const provider of providers) {
    await provider.start();
    await provider.register(system);
  }
  // `gone` is registered, then its system disappears for good.
  await gone.close();
});

afterAll(async () => {
  await system?.stop();
  await Promise.all(providers.map((p) => p.close()));
});

async function timelineOf(orderId: string) {
  return system.db
    .selectFrom('order_events')
    .select(['type', 'message', 'to_status'])
    .where('order_id', '=', orderId)
    .orderBy('id')
    .execute();
}

/** The order's interventions, as the admin list answers them. */
async function interventionsOf(orderId: string) {
  const res = await system.admin(`/admin/interventions?orderId=${orderId}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: { source: string; state: string; summary: string }[] }).data;
}

/** The refunds recorded on the order's timeline, with the provider each gives back the share of. */
async function refundsOf(orderId: string) {
  const rows = await system.db
    .selectFrom('order_events')
    .select('metadata')
    .where('order_id', '=', orderId)
    .where('type', '=', 'refunded')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ amount: r.metadata.amount, providerId: r.metadata.providerId }));
}

describe('a basket split across three providers, one of them down for a while', () => {
  const basket = {
    id: 'basket-lifecycle',
    providers: { instant: [item('A', 1000, 2)], kitchen: [item('K', 550)], flaky: [item('F', 300)] },
  };
  const withIntent = { ...basket, paymentIntent: { id: 'pi-life', amount: 2850 } };

  it('goes from basket to locks, to one order with three provider orders, to fulfilment', async () => {
    await deliver(system, basketEvent('BasketCreated', { id: basket.id, providers: {} }));
    await deliver(system, basketEvent('BasketUpdated', basket));
    expect((await basketView(system, basket.id)).state).toBe('mutable');

    flaky.locks.fail({ status: 503, retryAfter: '1' });
    await deliver(system, basketEvent('PaymentIntentCreated', withIntent));
    const locked = await waitFor(async () => {
      const view = await basketView(system, basket.id);
      return view.paymentIntent?.state === 'locked' ? view : undefined;
    });
    expect(locked.state).toBe('immutable');
    expect(locked.providerBaskets.map((pb) => pb.lock.state)).toEqual(['locked', 'locked', 'locked']);
    // The failed attempt against the provider that was down is on the basket's history, then its lock.
    expect(locked.history.filter((h) => h.providerId === 'flaky').map((h) => h.type)).toEqual([
      'lock',
      'lock',
    ]);
    expect(flaky.locks.calls).toHaveLength(2);
    expect(instant.locks.calls[0]?.body).toMatchObject({
      basketId: basket.id,
      paymentIntentId: 'pi-life',
      items: [item('A', 1000, 2)],
    });

    flaky.orders.fail({ status: 503, retryAfter: '1' }, { reset: true });
    await deliver(system, basketEvent('BasketComplete', withIntent));
    const order = await onebasketOrder(system, basket.id);
    expect(order).toMatchObject({ total: 2850, payment_status: 'paid' });

    // instant confirms at once, flaky once it is back, kitchen later by callback.
    const sent = await waitFor(async () => {
      const detail = await orderDetail(system, order.id);
      const byProvider = Object.fromEntries(detail.providerOrders.map((po) => [po.providerId, po]));
      return byProvider.flaky?.processing === 'confirmed' && byProvider.kitchen?.externalRef
        ? detail
        : undefined;
    });
    expect(sent.status).toBe('pending');
    expect(sent.providerOrders.map((po) => [po.providerId, po.processing, po.amount])).toEqual([
      ['flaky', 'confirmed', 300],
      ['instant', 'confirmed', 2000],
      ['kitchen', 'sent', 550],
    ]);
    expect(flaky.orders.calls).toHaveLength(3);
    // One provider order, one idempotency key (its id), however often the call is retried.
    const flakyOrder = sent.providerOrders.find((po) => po.providerId === 'flaky');
    expect(new Set(flaky.orders.calls.map((c) => c.headers['idempotency-key']))).toEqual(
      new Set([flakyOrder?.id]),
    );
    expect(flaky.orders.calls[0]?.body).toEqual({
      providerOrderId: flakyOrder?.id,
      orderNumber: order.order_number,
      items: [item('F', 300)],
      customer: { id: 'cust-1', name: 'Ayşe Yılmaz', email: 'ayse@example.com', phone: '+905551112233' },
    });
    expect(flakyOrder?.items).toEqual([item('F', 300)]);
    const attempts = (await timelineOf(order.id))
      .filter((e) => e.type === 'provider_call')
      .map((e) => e.message);
    expect(attempts.filter((m) => m.includes('will retry'))).toHaveLength(2);

    const kitchenOrder = kitchen.providerOrderIds()[0] ?? '';
    await settled(
      system,
      (await deliverCallback(kitchen.callback(system, kitchenOrder, 'confirmed'))).eventId,
    );
    expect((await orderDetail(system, order.id)).status).toBe('confirmed');

    const statuses: string[] = [];
    for (const type of ['received', 'in_progress', 'ready']) {
      await settled(system, (await deliverCallback(kitchen.callback(system, kitchenOrder, type))).eventId);
      statuses.push((await orderDetail(system, order.id)).status);
    }
    expect(statuses).toEqual(['confirmed', 'processing', 'shipped']);

    // Late and duplicate: recorded on the provider order's history, not applied.
    const late = await deliverCallback(kitchen.callback(system, kitchenOrder, 'in_progress'));
    expect((await settled(system, late.eventId)).outcome).toContain('not applied (late: already ready)');
    const fulfilled = kitchen.callback(system, kitchenOrder, 'fulfilled', { eventId: 'kitchen-done' });
    await settled(system, (await deliverCallback(fulfilled)).eventId);
    const again = await kitchen.callback(system, kitchenOrder, 'fulfilled', { eventId: 'kitchen-done' });
    expect(again.status).toBe(200);

    const done = await orderDetail(system, order.id);
    expect(done.status).toBe('delivered');
    const kitchenHistory = done.providerOrders.find((po) => po.providerId === 'kitchen')?.history ?? [];
    expect(kitchenHistory.map((h) => [h.state, h.applied])).toEqual([
      ['sent', true],
      ['sent', true],
      ['confirmed', true],
      ['received', true],
      ['in_progress', true],
      ['ready', true],
      ['in_progress', false],
      ['fulfilled', true],
    ]);

    const res = await customerView(system, basket.id);
    expect(res.status).toBe(200);
    const view = (await res.json()) as {
      status: string;
      message: string;
      providerOrders: { providerId: string; processing: string; fulfilment: string | null }[];
    };
    expect(view.status).toBe('delivered');
    expect(view.message).toBe('Your order is complete.');
    expect(view.providerOrders.map((po) => [po.providerId, po.processing, po.fulfilment])).toEqual([
      ['flaky', 'confirmed', null],
      ['instant', 'confirmed', null],
      ['kitchen', 'confirmed', 'fulfilled'],
    ]);
  });
});

describe('when a provider rejects its provider order', () => {
  it("refunds that provider's share, opens an intervention, and the rest of the order goes on", async () => {
    const basket = {
      id: 'basket-reject',
      providers: { instant: [item('A', 1200)], rejecter: [item('R', 800, 2)] },
      // Charged 100 more than the items: a person is asked to look at that too.
      paymentIntent: { id: 'pi-reject', amount: 2900 },
    };
    await deliver(system, basketEvent('BasketComplete', basket));
    const order = await onebasketOrder(system, basket.id);
    await waitFor(async () => {
      const d = await orderDetail(system, order.id);
      return d.providerOrders.every((po) => po.processing !== 'sent');
    });
    // Read again: the order and its provider orders are two reads, and the last answer may fall between them.
    const detail = await orderDetail(system, order.id);
    expect(detail).toMatchObject({
      status: 'confirmed',
      paymentStatus: 'partially_refunded',
      refundedTotal: 1600,
    });
    const rejected = detail.providerOrders.find((po) => po.providerId === 'rejecter');
    expect(rejected?.processing).toBe('rejected');
    const interventions = await interventionsOf(order.id);
    expect(interventions.map((i) => i.source).sort()).toEqual([
      'payment_mismatch',
      'provider_order_rejected',
    ]);
    const rejection = interventions.find((i) => i.source === 'provider_order_rejected');
    expect(rejection?.state).toBe('open');
    expect(rejection?.summary).toContain('kitchen closed');
    expect(await refundsOf(order.id)).toEqual([{ amount: 1600, providerId: 'rejecter' }]);

    // A later "confirmed" from the provider cannot undo its rejection, nor refund twice.
    const late = await deliverCallback(
      rejecter.callback(system, rejecter.providerOrderIds()[0] ?? '', 'confirmed'),
    );
    expect((await settled(system, late.eventId)).outcome).toContain('a processing answer is final');
    expect((await orderDetail(system, order.id)).refundedTotal).toBe(1600);
  });

  describe('by a rejected event after it took the order as pending', () => {
    it("refunds that provider's share and opens an intervention, and the rest of the order goes on", async () => {
      const basket = {
        id: 'basket-reject-later',
        providers: { instant: [item('A', 400)], kitchen: [item('K', 650)] },
      };
      await deliver(system, basketEvent('BasketComplete', basket));
      const order = await onebasketOrder(system, basket.id);
      const kitchenOrder = await waitFor(async () => {
        const d = await orderDetail(system, order.id);
        const po = d.providerOrders.find((p) => p.providerId === 'kitchen');
        return po?.externalRef ? po : undefined;
      });
      const rejected = kitchen.callback(system, kitchenOrder.id, 'rejected', { reason: 'no more bread' });
      await settled(system, (await deliverCallback(rejected)).eventId);
      const detail = await waitFor(async () => {
        const d = await orderDetail(system, order.id);
        return d.providerOrders.every((po) => po.processing !== 'sent') ? d : undefined;
      });
      expect(detail).toMatchObject({ status: 'confirmed', refundedTotal: 650 });
      expect(detail.providerOrders.map((po) => [po.providerId, po.processing])).toEqual([
        ['instant', 'confirmed'],
        ['kitchen', 'rejected'],
      ]);
      expect(await refundsOf(order.id)).toEqual([{ amount: 650, providerId: 'kitchen' }]);
      const [entry] = await interventionsOf(order.id);
      expect(entry).toMatchObject({ source: 'provider_order_rejected', state: 'open' });
      expect(entry?.summary).toContain('no more bread');
    });
  });

  describe('and it was the only provider', () => {
    it('cancels the order and refunds it in full', async () => {
      const basket = { id: 'basket-all-rejected', providers: { rejecter: [item('R', 500)] } };
      await deliver(system, basketEvent('BasketComplete', basket));
      const order = await onebasketOrder(system, basket.id);
      const detail = await waitFor(async () => {
        const d = await orderDetail(system, order.id);
        return d.status === 'refunded' ? d : undefined;
      });
      expect(detail).toMatchObject({ paymentStatus: 'refunded', refundedTotal: 500 });
      const steps = (await timelineOf(order.id)).filter((e) => e.to_status).map((e) => e.to_status);
      expect(steps).toEqual(['pending', 'cancelled', 'refunded']);
    });
  });
});

describe('when a provider refuses the lock', () => {
  it('refuses the payment intent; deleting the intent releases the other locks and the basket is mutable again', async () => {
    const basket = {
      id: 'basket-refused',
      providers: { instant: [item('A', 100)], refuser: [item('Z', 100)] },
      paymentIntent: { id: 'pi-refused', amount: 200 },
    };
    await deliver(system, basketEvent('PaymentIntentCreated', basket));
    const refused = await waitFor(async () => {
      const view = await basketView(system, basket.id);
      return view.providerBaskets.every((pb) => pb.lock.state !== 'requested') ? view : undefined;
    });
    expect(refused.paymentIntent?.state).toBe('refused');
    expect(refused.providerBaskets.map((pb) => [pb.providerId, pb.lock.state, pb.lock.reason])).toEqual([
      ['instant', 'locked', null],
      ['refuser', 'refused', 'out of stock'],
    ]);

    await deliver(system, basketEvent('PaymentIntentDeleted', basket));
    await waitFor(() => instant.releases.calls.some((c) => c.params.basketId === basket.id));
    const view = await basketView(system, basket.id);
    expect(view.state).toBe('mutable');
    expect(view.paymentIntent?.state).toBe('deleted');
    expect(refuser.releases.calls.filter((c) => c.params.basketId === basket.id)).toHaveLength(0);
    const update = await deliver(
      system,
      basketEvent('BasketUpdated', { ...basket, providers: { instant: [item('A', 100, 3)] } }),
    );
    expect(update.outcome).toBe('BasketUpdated applied (content)');
  });
});

describe('when a provider stays unreachable', () => {
  it('leaves its provider order Sent and flags the order once the retries are spent', async () => {
    await deliver(
      system,
      basketEvent('BasketComplete', { id: 'basket-gone', providers: { gone: [item('G', 100)] } }),
    );
    const order = await onebasketOrder(system, 'basket-gone');
    const flagged = await waitFor(async () => {
      const row = await system.db
        .selectFrom('orders')
        .select('attention_reason')
        .where('id', '=', order.id)
        .executeTakeFirst();
      return row?.attention_reason ? row : undefined;
    });
    expect(flagged.attention_reason).toContain('onebasket.provider_order.dispatch');
    const detail = await orderDetail(system, order.id);
    expect(detail.providerOrders[0]?.processing).toBe('sent');
    expect(detail.status).toBe('pending');

    // Reconciliation finds it; the entry closes itself once the provider answers after all.
    const run = await system.admin('/admin/reconciliation/runs', { method: 'POST' });
    expect(run.status).toBe(201);
    const opened = await system.db
      .selectFrom('interventions')
      .selectAll()
      .where('order_id', '=', order.id)
      .where('source', '=', 'reconciliation')
      .execute();
    expect(opened.map((i) => [i.state, i.summary.startsWith('gone never received it')])).toEqual([
      ['open', true],
    ]);
    const answer = await deliverCallback(
      gone.callback(system, detail.providerOrders[0]?.id ?? '', 'confirmed'),
    );
    await settled(system, answer.eventId);
    const closed = await system.db
      .selectFrom('interventions')
      .select('state')
      .where('id', '=', opened[0]?.id ?? '')
      .executeTakeFirstOrThrow();
    expect(closed.state).toBe('resolved');
    expect((await orderDetail(system, order.id)).status).toBe('confirmed');
  });
});
