import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeGoBiz } from '../../support/fake-gobiz.js';
import type { FakeRequest, FakeRoute } from '../../support/fake-provider.js';
import { type TestSystem, waitFor } from '../../support/system.js';
import {
  deliver,
  type GofoodHarness,
  gofoodOrder,
  orderNumber,
  startGofood,
  stockLevel,
  timeline,
} from './helpers.js';

let system: TestSystem;
let gobiz: FakeGoBiz;
let harness: GofoodHarness | undefined;

beforeAll(async () => {
  // Long windows: no deadline interferes with the merchant's decisions here.
  harness = await startGofood(
    { OUTBOUND_ATTEMPTS: '4' },
    { 'OUT-M': { acceptanceMode: 'manual', warehouse: 'KITCHEN-M' } },
  );
  ({ system, gobiz } = harness);
});

afterAll(async () => {
  await harness?.stop();
});

async function awaitingOrder(serviceType: 'gofood' | 'gofood_pickup' = 'gofood') {
  const number = orderNumber('X');
  await deliver(system, 'awaiting_merchant_acceptance', {
    orderNumber: number,
    outletId: 'OUT-M',
    serviceType,
  });
  return { number, order: await gofoodOrder(system, number) };
}

function act(orderId: string, action: string, body?: unknown): Promise<Response> {
  return system.admin(`/admin/orders/${orderId}/${action}`, {
    method: 'POST',
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
}

async function errorCode(res: Response): Promise<string> {
  return ((await res.json()) as { error: { code: string } }).error.code;
}

function callsFor(route: FakeRoute, number: string): FakeRequest[] {
  return route.calls.filter((c) => c.params.orderNumber === number);
}

describe('POST /admin/orders/:id/accept', () => {
  it('confirms the order and tells GoBiz with a bearer token; a second accept is 409', async () => {
    const { number, order } = await awaitingOrder();
    const res = await act(order.id, 'accept');
    expect(res.status).toBe(200);
    expect(((await res.json()) as { status: string }).status).toBe('confirmed');
    const call = await waitFor(() => callsFor(gobiz.accepted, number)[0]);
    expect(call.params).toMatchObject({ outletId: 'OUT-M', fulfilment: 'delivery' });
    expect(call.headers.authorization).toMatch(/^Bearer tok_/);
    await waitFor(async () =>
      (await timeline(system, order.id)).some(
        (e) => e.type === 'provider_call' && e.message.startsWith('gofood.order.accept delivered'),
      ),
    );

    const again = await act(order.id, 'accept');
    expect(again.status).toBe(409);
    expect(await errorCode(again)).toBe('rule_not_awaiting_acceptance');
  });

  it('retries GoBiz 503s and a dropped connection, reusing the cached token', async () => {
    const { number, order } = await awaitingOrder();
    const tokensBefore = gobiz.oauth.tokenRequests;
    gobiz.accepted.fail({ status: 503, retryAfter: '0' }, { reset: true });
    expect((await act(order.id, 'accept')).status).toBe(200);
    await waitFor(async () =>
      (await timeline(system, order.id)).some((e) =>
        e.message.startsWith('gofood.order.accept delivered (attempt 3)'),
      ),
    );
    expect(callsFor(gobiz.accepted, number)).toHaveLength(3);
    expect(gobiz.oauth.tokenRequests - tokensBefore).toBeLessThanOrEqual(1);
    expect((await gofoodOrder(system, number)).attention_reason).toBeNull();
  });

  it('gets a fresh token once when GoBiz says the cached one is invalid', async () => {
    // Make sure a token is cached first (one accepted call fully delivered), then revoke it.
    const warmup = await awaitingOrder();
    expect((await act(warmup.order.id, 'accept')).status).toBe(200);
    await waitFor(async () =>
      (await timeline(system, warmup.order.id)).some((e) =>
        e.message.startsWith('gofood.order.accept delivered'),
      ),
    );
    const { number, order } = await awaitingOrder();
    gobiz.oauth.revokeAll();
    const issued = gobiz.oauth.issued.length;
    expect((await act(order.id, 'accept')).status).toBe(200);
    await waitFor(async () =>
      (await timeline(system, order.id)).some((e) =>
        e.message.startsWith('gofood.order.accept delivered (attempt 1)'),
      ),
    );
    // The stale token was refused once, a new one fetched, and the same attempt succeeded with it.
    expect(callsFor(gobiz.accepted, number)).toHaveLength(2);
    expect(gobiz.oauth.issued.length).toBe(issued + 1);
  });

  it('flags the order for attention without retrying when GoBiz refuses with a 4xx', async () => {
    const { number, order } = await awaitingOrder();
    gobiz.accepted.fail({ status: 422, body: { errors: [{ message: 'order is not awaiting acceptance' }] } });
    expect((await act(order.id, 'accept')).status).toBe(200);
    const flagged = await waitFor(async () => (await gofoodOrder(system, number)).attention_reason);
    expect(flagged).toContain('gofood.order.accept failed');
    expect(flagged).toContain('422');
    expect(callsFor(gobiz.accepted, number)).toHaveLength(1);
  });

  it('names GoBiz’s error in the attention reason and timeline, not the customer it echoes back', async () => {
    const { number, order } = await awaitingOrder();
    gobiz.accepted.fail({
      status: 422,
      body: {
        errors: [{ code: 'ORDER_EXPIRED', message: 'order is not awaiting acceptance' }],
        order: { customer: { name: 'Budi Santoso', phone: '+62 812 3456 7890' } },
        customer_address: 'Jl. Sudirman No. 5, Jakarta',
      },
    });
    expect((await act(order.id, 'accept')).status).toBe(200);
    const flagged = await waitFor(async () => (await gofoodOrder(system, number)).attention_reason);
    const failures = (await timeline(system, order.id))
      .filter((e) => e.message.startsWith('gofood.order.accept failed'))
      .map((e) => e.message);
    expect(failures).toHaveLength(1);
    for (const text of [flagged, ...failures]) {
      expect(text).toContain('ORDER_EXPIRED');
      expect(text).toContain('order is not awaiting acceptance');
      for (const personal of ['Budi', '812 3456 7890', '81234567890', 'Sudirman']) {
        expect(text).not.toContain(personal);
      }
    }
  });
});

describe('POST /admin/orders/:id/reject', () => {
  it('validates the reason code and a description of at least 3 characters', async () => {
    const { order } = await awaitingOrder();
    expect((await act(order.id, 'reject', { reasonCode: 'BORED', description: 'nope' })).status).toBe(400);
    expect((await act(order.id, 'reject', { reasonCode: 'HIGH_DEMAND', description: ' ab ' })).status).toBe(
      400,
    );
    expect((await act(order.id, 'reject', { reasonCode: 'HIGH_DEMAND' })).status).toBe(400);
    expect((await gofoodOrder(system, order.external_order_id)).status).toBe('pending');
  });

  it('cancels the order, releases its stock and sends GoBiz the reason on the pickup path', async () => {
    const before = await stockLevel(system, 'KITCHEN-M', 'SKU-AYAM');
    const { number, order } = await awaitingOrder('gofood_pickup');
    expect((await stockLevel(system, 'KITCHEN-M', 'SKU-AYAM')).reserved).toBe(before.reserved + 2);
    const res = await act(order.id, 'reject', {
      reasonCode: 'ITEMS_OUT_OF_STOCK',
      description: 'Ayam sold out',
    });
    expect(res.status).toBe(200);
    expect((await gofoodOrder(system, number)).status).toBe('cancelled');
    expect(await stockLevel(system, 'KITCHEN-M', 'SKU-AYAM')).toEqual(before);
    const call = await waitFor(() => callsFor(gobiz.cancelled, number)[0]);
    expect(call.params.fulfilment).toBe('pickup');
    expect(call.body).toEqual({
      cancel_reason_code: 'ITEMS_OUT_OF_STOCK',
      cancel_reason_description: 'Ayam sold out',
    });

    const again = await act(order.id, 'reject', { reasonCode: 'OTHERS', description: 'again' });
    expect(again.status).toBe(409);
    expect(await errorCode(again)).toBe('rule_not_awaiting_acceptance');
  });
});

describe('POST /admin/orders/:id/ready', () => {
  it('is 409 while the order awaits acceptance', async () => {
    const { order } = await awaitingOrder();
    const res = await act(order.id, 'ready');
    expect(res.status).toBe(409);
    expect(await errorCode(res)).toBe('rule_not_preparing');
  });

  it('moves a confirmed order to processing and tells GoBiz food-prepared once', async () => {
    const { number, order } = await awaitingOrder();
    expect((await act(order.id, 'accept')).status).toBe(200);
    const res = await act(order.id, 'ready');
    expect(res.status).toBe(200);
    expect(((await res.json()) as { status: string }).status).toBe('processing');
    const call = await waitFor(() => callsFor(gobiz.foodPrepared, number)[0]);
    expect(call.body).toEqual({ country_code: 'ID' });
    const again = await act(order.id, 'ready');
    expect(again.status).toBe(409);
    expect(await errorCode(again)).toBe('rule_food_already_prepared');

    // GoFood's own steps arriving afterwards do not move the order back.
    await deliver(system, 'merchant_accepted', { orderNumber: number, outletId: 'OUT-M' });
    expect(await gofoodOrder(system, number)).toMatchObject({
      status: 'processing',
      channel_status: 'merchant_accepted',
    });
  });
});

describe('when an operator cancels, dispatches or refunds a GoFood order', () => {
  it.each([
    ['cancel', { reason: 'customer called' }],
    ['dispatch', undefined],
    ['refund', { amount: 100, reason: 'cold food' }],
  ])(
    'refuses %s with 409 rule_action_not_supported and changes nothing (GoBiz could not be told)',
    async (action, body) => {
      const { order } = await awaitingOrder();
      await act(order.id, 'accept');
      const before = await gofoodOrder(system, order.external_order_id);
      // What the operator's request could have written: entries by the admin actor (provider calls and
      // scheduled work add their own entries meanwhile).
      const byOperator = async () => (await timeline(system, order.id)).filter((e) => e.actor === 'admin');
      const entries = await byOperator();
      const outbox = await system.db
        .selectFrom('outbox')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('order_id', '=', order.id)
        .executeTakeFirstOrThrow();

      const res = await act(order.id, action, body);
      expect(res.status).toBe(409);
      expect(await errorCode(res)).toBe('rule_action_not_supported');
      const after = await gofoodOrder(system, order.external_order_id);
      expect(after).toMatchObject({
        status: before.status,
        payment_status: before.payment_status,
        refunded_total: before.refunded_total,
      });
      expect(await byOperator()).toEqual(entries);
      const outboxAfter = await system.db
        .selectFrom('outbox')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('order_id', '=', order.id)
        .executeTakeFirstOrThrow();
      expect(Number(outboxAfter.n)).toBe(Number(outbox.n));
    },
  );
});
