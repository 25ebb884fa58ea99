import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN_ACTOR, waitFor } from '../../support/system.js';
import { MARKET_STORE, withStatus, ysOrder } from './fixtures.js';
import {
  adminPost,
  deliver,
  detail,
  orderIdFor,
  putJson,
  setStock,
  startYs,
  type YsHarness,
} from './helpers.js';

let h: YsHarness;
beforeAll(async () => {
  h = await startYs();
  // Every order here takes 2 waters and 750 g of cheese: enough for all of them, so each has both lines.
  await setStock(h.system, 'IST-KDK', { 'SU-19L': 1_000, 'PEYNIR-KG': 1_000_000 });
});
afterAll(async () => {
  await h?.stop();
});

/** A created order (RECEIVED processed) and its id. */
async function created(overrides: Record<string, unknown> = {}) {
  const body = ysOrder(overrides);
  await deliver(h.system, body);
  return { body, id: await orderIdFor(h.system, String(body.order_id)) };
}

async function errorOf(res: Response): Promise<{ status: number; code: string }> {
  const body = (await res.json()) as { error: { code: string; message: string; requestId: string } };
  expect(body.error.requestId).toBeTruthy();
  return { status: res.status, code: body.error.code };
}

/** Our partial refund as Yemeksepeti carries it: a whole line (the two waters, 2 × 45.50) out of the cart. */
const waterRefund = { amount: 9_100, reason: 'damacanalar eksik', items: [{ sku: 'SU-19L', quantity: 2 }] };

const updatesFor = (orderId: unknown, count: number) =>
  waitFor(() => {
    const u = h.ys.updatesFor(String(orderId));
    return u.length >= count ? u : undefined;
  });

describe('status mapping', () => {
  describe('when Yemeksepeti walks an order RECEIVED → READY_FOR_PICKUP → DISPATCHED → DELIVERED', () => {
    it('moves it confirmed → processing → shipped → delivered, BiSU ORDER_CREATED → ORDER_COMPLETED', async () => {
      const { body, id } = await created();
      expect((await detail(h.system, id)).attributes).toMatchObject({
        yemeksepeti: { bisuStatus: 'ORDER_CREATED' },
      });

      await deliver(h.system, withStatus(body, 'READY_FOR_PICKUP'));
      let d = await detail(h.system, id);
      expect(d.status).toBe('processing');
      expect(d.attributes).toMatchObject({ yemeksepeti: { bisuStatus: 'ORDER_CREATED' } });

      await deliver(h.system, withStatus(body, 'DISPATCHED'));
      d = await detail(h.system, id);
      expect(d.status).toBe('shipped');
      expect(d.channelStatus).toBe('DISPATCHED');
      expect(d.attributes).toMatchObject({
        yemeksepeti: { bisuStatus: 'ORDER_COMPLETED', dispatched: true },
      });
      const stock = await h.system.db
        .selectFrom('stock_reservations')
        .select('status')
        .where('order_id', '=', id)
        .execute();
      expect(stock.every((s) => s.status === 'committed')).toBe(true);

      await deliver(h.system, withStatus(body, 'DELIVERED'));
      d = await detail(h.system, id);
      expect(d.status).toBe('delivered');
      expect(d.attributes).toMatchObject({ yemeksepeti: { bisuStatus: 'ORDER_COMPLETED' } });
      expect(d.channelStatusHistory.map((s) => [s.channelStatus, s.applied])).toEqual([
        ['RECEIVED', true],
        ['READY_FOR_PICKUP', true],
        ['DISPATCHED', true],
        ['DELIVERED', true],
      ]);
    });
  });

  describe('when DISPATCHED skips READY_FOR_PICKUP', () => {
    it('walks the legal path through processing, one timeline step each', async () => {
      const { body, id } = await created();
      await deliver(h.system, withStatus(body, 'DISPATCHED'));
      const d = await detail(h.system, id);
      expect(d.status).toBe('shipped');
      const steps = d.timeline
        .filter((e) => e.type === 'status_changed')
        .map((e) => `${e.fromStatus}→${e.toStatus}`);
      expect(steps).toEqual(['confirmed→processing', 'processing→shipped']);
    });
  });

  describe('when a stale READY_FOR_PICKUP arrives after DISPATCHED', () => {
    it('is recorded with applied=false and changes nothing', async () => {
      const { body, id } = await created();
      await deliver(h.system, withStatus(body, 'DISPATCHED'));
      await deliver(h.system, withStatus(body, 'READY_FOR_PICKUP'));
      const d = await detail(h.system, id);
      expect(d.status).toBe('shipped');
      expect(d.channelStatus).toBe('DISPATCHED');
      expect(d.channelStatusHistory.at(-1)).toMatchObject({
        channelStatus: 'READY_FOR_PICKUP',
        applied: false,
      });
    });
  });

  describe('when a status arrives for an order we never received', () => {
    it('retries while its create may be queued, then asks for attention', async () => {
      const event = await deliver(h.system, withStatus(ysOrder(), 'DISPATCHED'));
      expect(event.status).toBe('attention');
      expect(event.attempts).toBe(3);
      expect(event.outcome).toContain('which we never received');
    });
  });
});

describe('cancellation by Yemeksepeti', () => {
  describe('when Yemeksepeti cancels a confirmed order', () => {
    it('makes it cancelled, releases the stock and records reason and cancelled_by', async () => {
      const { body, id } = await created();
      await deliver(
        h.system,
        withStatus(body, 'CANCELLED', {
          cancellation: { reason: 'Müşteri vazgeçti', cancelled_by: 'CUSTOMER' },
        }),
      );
      const d = await detail(h.system, id);
      expect(d.status).toBe('cancelled');
      expect(d.attributes).toMatchObject({
        yemeksepeti: {
          bisuStatus: 'ORDER_CANCELLED',
          cancellation: { reason: 'Müşteri vazgeçti', cancelledBy: 'CUSTOMER' },
        },
      });
      expect(
        d.timeline.some((e) => e.message.includes('cancelled by Yemeksepeti (CUSTOMER): Müşteri vazgeçti')),
      ).toBe(true);
      const open = await h.system.db
        .selectFrom('stock_reservations')
        .select('status')
        .where('order_id', '=', id)
        .execute();
      expect(open.every((r) => r.status === 'released')).toBe(true);
    });
  });

  describe('when Yemeksepeti cancels a DISPATCHED order', () => {
    it('is allowed: the order becomes cancelled', async () => {
      const { body, id } = await created();
      await deliver(h.system, withStatus(body, 'DISPATCHED'));
      await deliver(
        h.system,
        withStatus(body, 'CANCELLED', { cancellation: { reason: 'LATE', cancelled_by: 'PLATFORM' } }),
      );
      expect((await detail(h.system, id)).status).toBe('cancelled');
    });
  });

  describe('when Yemeksepeti cancels an order we never received, with a complete body', () => {
    it('records it as a cancelled order without reserving stock', async () => {
      const body = withStatus(ysOrder(), 'CANCELLED', {
        cancellation: { reason: 'FRAUD', cancelled_by: 'PLATFORM' },
      });
      const event = await deliver(h.system, body);
      expect(event.status).toBe('processed');
      const id = await orderIdFor(h.system, String(body.order_id));
      const d = await detail(h.system, id);
      expect(d.status).toBe('cancelled');
      expect(d.attributes).toMatchObject({ yemeksepeti: { createdFromCancellation: true } });
      const reservations = await h.system.db
        .selectFrom('stock_reservations')
        .select('sku')
        .where('order_id', '=', id)
        .execute();
      expect(reservations).toEqual([]);
    });
  });

  describe('when Yemeksepeti cancels an order we never received, with only id and status', () => {
    it('asks for attention', async () => {
      const event = await deliver(h.system, {
        order_id: 'never-seen-1',
        status: 'CANCELLED',
        cancellation: null,
      });
      expect(event.status).toBe('attention');
    });
  });
});

describe("admin actions and Yemeksepeti's rules", () => {
  describe('when we dispatch an order', () => {
    it('moves it to shipped and sends DISPATCHED to Yemeksepeti (our completion; never DELIVERED)', async () => {
      const { body, id } = await created();
      const res = await adminPost(h.system, `/admin/orders/${id}/dispatch`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { status: string }).status).toBe('shipped');
      const [update] = await updatesFor(body.order_id, 1);
      expect(update?.body).toEqual({ order_id: body.order_id, status: 'DISPATCHED' });
      expect(h.ys.updates.some((u) => u.body.status === 'DELIVERED')).toBe(false);
    });

    it('a second dispatch is refused with 409 rule_already_dispatched', async () => {
      const { id } = await created();
      await adminPost(h.system, `/admin/orders/${id}/dispatch`);
      expect(await errorOf(await adminPost(h.system, `/admin/orders/${id}/dispatch`))).toEqual({
        status: 409,
        code: 'rule_already_dispatched',
      });
    });
  });

  describe('when we cancel a confirmed order', () => {
    it('cancels it and sends CANCELLED with our reason', async () => {
      const { body, id } = await created();
      const res = await adminPost(h.system, `/admin/orders/${id}/cancel`, { reason: 'Depoda ürün hasarlı' });
      expect(res.status).toBe(200);
      const [update] = await updatesFor(body.order_id, 1);
      expect(update?.body).toEqual({
        order_id: body.order_id,
        status: 'CANCELLED',
        cancellation: { reason: 'Depoda ürün hasarlı' },
      });
    });
  });

  describe('after DISPATCHED', () => {
    it.each([
      ['we dispatched it', 'admin'],
      ['Yemeksepeti reported DISPATCHED', 'webhook'],
    ])(
      'when %s, our cancel is 409 rule_no_cancel_after_dispatch and our refund 409 rule_no_refund_after_dispatch',
      async (_name, how) => {
        const { body, id } = await created();
        if (how === 'admin') await adminPost(h.system, `/admin/orders/${id}/dispatch`);
        else await deliver(h.system, withStatus(body, 'DISPATCHED'));
        expect(
          await errorOf(await adminPost(h.system, `/admin/orders/${id}/cancel`, { reason: 'çok geç' })),
        ).toEqual({
          status: 409,
          code: 'rule_no_cancel_after_dispatch',
        });
        expect(
          await errorOf(
            await adminPost(h.system, `/admin/orders/${id}/refund`, { amount: 1000, reason: 'kısmi iade' }),
          ),
        ).toEqual({ status: 409, code: 'rule_no_refund_after_dispatch' });
        const d = await detail(h.system, id);
        expect(d.status).toBe('shipped');
        expect(d.refundedTotal).toBe(0);
      },
    );

    it('a later ORDER_RECONCILED does not reopen cancel or refund for us', async () => {
      const { body, id } = await created();
      await deliver(h.system, withStatus(body, 'DISPATCHED'));
      await deliver(h.system, withStatus(body, 'ORDER_RECONCILED'));
      expect(
        (await errorOf(await adminPost(h.system, `/admin/orders/${id}/cancel`, { reason: 'deneme' }))).code,
      ).toBe('rule_no_cancel_after_dispatch');
    });
  });

  describe('refunds', () => {
    it('refund items must be lines of the order, at most as many as ordered: otherwise 400 and nothing refunded', async () => {
      const { id } = await created();
      for (const items of [[{ sku: 'NOT-ON-THE-ORDER', quantity: 1 }], [{ sku: 'SU-19L', quantity: 3 }]]) {
        const res = await adminPost(h.system, `/admin/orders/${id}/refund`, {
          amount: 100,
          reason: 'yanlış ürün',
          items,
        });
        expect(await errorOf(res)).toEqual({ status: 400, code: 'validation_failed' });
      }
      expect((await detail(h.system, id)).refundedTotal).toBe(0);
      const ok = await adminPost(h.system, `/admin/orders/${id}/refund`, waterRefund);
      expect(ok.status).toBe(200);
    });

    it('the first partial refund is recorded; a second is 409 rule_refund_once', async () => {
      const { id } = await created();
      const first = await adminPost(h.system, `/admin/orders/${id}/refund`, waterRefund);
      expect(first.status).toBe(200);
      const d = (await first.json()) as { refundedTotal: number; paymentStatus: string; status: string };
      expect(d).toMatchObject({
        refundedTotal: 9_100,
        paymentStatus: 'partially_refunded',
        status: 'confirmed',
      });
      expect(
        await errorOf(
          await adminPost(h.system, `/admin/orders/${id}/refund`, {
            amount: 21_743,
            reason: 'bir daha',
            items: [{ sku: 'PEYNIR-KG', quantity: 750 }],
          }),
        ),
      ).toEqual({
        status: 409,
        code: 'rule_refund_once',
      });
      expect((await detail(h.system, id)).refundedTotal).toBe(9_100);
    });
  });
});

describe('our refund is carried to Yemeksepeti as lines taken out of the cart', () => {
  const reservationsOf = (orderId: string) =>
    h.system.db
      .selectFrom('stock_reservations')
      .select(['sku', 'status'])
      .where('order_id', '=', orderId)
      .orderBy('sku')
      .execute();

  describe('when we refund whole lines of an open order', () => {
    it('takes them out (NOT_FOUND, stock released) and sends UPDATE_CART with every line', async () => {
      const { body, id } = await created();
      const res = await adminPost(h.system, `/admin/orders/${id}/refund`, waterRefund);
      expect(res.status).toBe(200);
      const d = await detail(h.system, id);
      expect(d).toMatchObject({
        refundedTotal: 9_100,
        paymentStatus: 'partially_refunded',
        status: 'confirmed',
      });
      expect(d.items.map((i) => [i.sku, i.status])).toEqual([
        ['SU-19L', 'NOT_FOUND'],
        ['PEYNIR-KG', 'IN_CART'],
      ]);
      expect(await reservationsOf(id)).toEqual([
        { sku: 'PEYNIR-KG', status: 'reserved' },
        { sku: 'SU-19L', status: 'released' },
      ]);
      const [update] = await updatesFor(body.order_id, 1);
      expect(update?.body).toEqual({
        order_id: body.order_id,
        status: 'UPDATE_CART',
        items: [
          { _id: 'item-1', sku: 'SU-19L', status: 'NOT_FOUND' },
          { _id: 'item-2', sku: 'PEYNIR-KG', status: 'IN_CART' },
        ],
      });
    });
  });

  describe("when an operator names the lines in the console's refund form", () => {
    const consoleRefund = (id: string, fields: Record<string, string>) =>
      h.system.admin(`/admin/console/orders/${id}/actions/refund`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ confirm: 'yes', ...fields }).toString(),
        redirect: 'manual',
      });

    it('offers every line of the order and carries the refund as UPDATE_CART', async () => {
      const { body, id } = await created();
      const form = await (await h.system.admin(`/admin/console/orders/${id}/actions/refund`)).text();
      expect(form).toContain('name="item:SU-19L"');
      expect(form).toContain('name="item:PEYNIR-KG"');
      const res = await consoleRefund(id, {
        amount: '9100',
        reason: 'damacanalar eksik',
        'item:SU-19L': '2',
        'item:PEYNIR-KG': '0',
      });
      expect(res.status).toBe(303);
      expect(decodeURIComponent(res.headers.get('location') ?? '')).toContain('refund done');
      const d = await detail(h.system, id);
      expect(d.refundedTotal).toBe(9_100);
      expect(d.items.map((i) => [i.sku, i.status])).toEqual([
        ['SU-19L', 'NOT_FOUND'],
        ['PEYNIR-KG', 'IN_CART'],
      ]);
      const [update] = await updatesFor(body.order_id, 1);
      expect(update?.body).toMatchObject({ status: 'UPDATE_CART' });
    });

    it('without lines shows the refusal and changes nothing', async () => {
      const { id } = await created();
      const res = await consoleRefund(id, { amount: '9100', reason: 'damacanalar eksik' });
      expect(res.status).toBe(303);
      expect(decodeURIComponent(res.headers.get('location') ?? '')).toContain(
        'error=rule_action_not_supported',
      );
      expect((await detail(h.system, id)).refundedTotal).toBe(0);
    });
  });

  describe('when the refund is not lines Yemeksepeti can take out of the cart', () => {
    it.each([
      ['an amount alone', { amount: 9_100, reason: 'eksik ürün' }],
      ['part of a line', { amount: 4_550, reason: 'bir damacana', items: [{ sku: 'SU-19L', quantity: 1 }] }],
      ['another amount than the lines’ value', { ...waterRefund, amount: 5_000 }],
      [
        'every line (a cancellation)',
        {
          amount: 30_843,
          reason: 'hepsi',
          items: [
            { sku: 'SU-19L', quantity: 2 },
            { sku: 'PEYNIR-KG', quantity: 750 },
          ],
        },
      ],
    ])('%s is 409 rule_action_not_supported and changes nothing', async (_name, refund) => {
      const { body, id } = await created();
      const before = await detail(h.system, id);
      expect(await errorOf(await adminPost(h.system, `/admin/orders/${id}/refund`, refund))).toEqual({
        status: 409,
        code: 'rule_action_not_supported',
      });
      const after = await detail(h.system, id);
      expect(after).toMatchObject({ refundedTotal: 0, paymentStatus: 'paid', items: before.items });
      // The relay adds its own entries meanwhile; the operator's request wrote none.
      expect(after.timeline.filter((e) => e.actor === TEST_ADMIN_ACTOR)).toEqual([]);
      expect(await reservationsOf(id)).toEqual([
        { sku: 'PEYNIR-KG', status: 'reserved' },
        { sku: 'SU-19L', status: 'reserved' },
      ]);
      const updates = await h.system.db
        .selectFrom('outbox')
        .select('id')
        .where('order_id', '=', id)
        .where('topic', '=', 'yemeksepeti.order.update')
        .execute();
      expect(updates).toEqual([]);
      expect(h.ys.updatesFor(String(body.order_id))).toEqual([]);
    });

    it('a cancelled order is 409 rule_action_not_supported: Yemeksepeti refunds a cancellation itself', async () => {
      const { body, id } = await created();
      await deliver(h.system, withStatus(body, 'CANCELLED', { cancellation: { reason: 'X' } }));
      expect(await errorOf(await adminPost(h.system, `/admin/orders/${id}/refund`, waterRefund))).toEqual({
        status: 409,
        code: 'rule_action_not_supported',
      });
      expect((await detail(h.system, id)).refundedTotal).toBe(0);
    });
  });
});

describe('ORDER_RECONCILED runs no rule on our side', () => {
  /** The order's body after Yemeksepeti's partial refund: 45.50 less in total. */
  const reconciledBody = (body: Record<string, unknown>, updatedAt = 'reconciled') =>
    withStatus(body, 'ORDER_RECONCILED', {
      payment: { ...(body.payment as object), sub_total: 262.93, order_total: 277.92 },
      sys: { ...(body.sys as object), updated_at: updatedAt },
    });

  describe('when Yemeksepeti reconciles a confirmed order', () => {
    it('records its new totals and the channel status on the timeline, and records no refund nor status change', async () => {
      const { body, id } = await created();
      const before = await detail(h.system, id);
      const event = await deliver(h.system, reconciledBody(body));
      expect(event.status).toBe('processed');
      const d = await detail(h.system, id);
      expect(d).toMatchObject({
        status: 'confirmed',
        paymentStatus: 'paid',
        refundedTotal: 0,
        total: before.total,
        channelStatus: 'ORDER_RECONCILED',
      });
      expect(d.channelStatusHistory.at(-1)).toMatchObject({
        channelStatus: 'ORDER_RECONCILED',
        applied: true,
      });
      expect(d.attributes).toMatchObject({ yemeksepeti: { bisuStatus: 'ORDER_CREATED' } });
      expect(d.attributes.yemeksepeti).not.toHaveProperty('refund');
      expect(d.timeline.filter((e) => e.type === 'refunded' || e.type === 'status_changed')).toEqual([]);
      const totals = d.timeline.find((e) => e.type === 'channel_totals');
      expect(totals?.metadata).toMatchObject({
        channelStatus: 'ORDER_RECONCILED',
        totals: { orderTotal: 27_792, subTotal: 26_293 },
        previous: { orderTotal: 32_342, subTotal: 30_843 },
      });
      expect(totals?.message).toContain('277.92');
    });

    it('leaves the order its one refund: ours is still recorded once, then refused', async () => {
      const { body, id } = await created();
      await deliver(h.system, reconciledBody(body));
      const first = await adminPost(h.system, `/admin/orders/${id}/refund`, waterRefund);
      expect(first.status).toBe(200);
      expect(
        (
          await errorOf(
            await adminPost(h.system, `/admin/orders/${id}/refund`, { amount: 100, reason: 'tekrar' }),
          )
        ).code,
      ).toBe('rule_refund_once');
      expect((await detail(h.system, id)).refundedTotal).toBe(9_100);
    });
  });

  describe('when it acknowledges a partial refund we already recorded', () => {
    it('does not count the refund twice', async () => {
      const { body, id } = await created();
      const res = await adminPost(h.system, `/admin/orders/${id}/refund`, waterRefund);
      expect(res.status).toBe(200);
      await deliver(h.system, reconciledBody(body));
      await deliver(h.system, reconciledBody(body, 'reconciled again'));
      const d = await detail(h.system, id);
      expect(d).toMatchObject({
        refundedTotal: 9_100,
        paymentStatus: 'partially_refunded',
        status: 'confirmed',
      });
      expect(d.timeline.filter((e) => e.type === 'refunded')).toHaveLength(1);
      expect(d.attributes).toMatchObject({ yemeksepeti: { refund: { by: 'admin', amount: 9_100 } } });
    });
  });

  describe('when it reconciles a DISPATCHED order', () => {
    it('keeps the BiSU status ORDER_COMPLETED and the order shipped', async () => {
      const { body, id } = await created();
      await deliver(h.system, withStatus(body, 'DISPATCHED'));
      await deliver(h.system, reconciledBody(body));
      const d = await detail(h.system, id);
      expect(d.status).toBe('shipped');
      expect(d.attributes).toMatchObject({
        yemeksepeti: { bisuStatus: 'ORDER_COMPLETED', dispatched: true },
      });
      expect(d.refundedTotal).toBe(0);
    });
  });
});

describe('actions with no Yemeksepeti meaning', () => {
  it.each(['reject', 'ready'])('%s is 409 rule_action_not_supported', async (action) => {
    const { id } = await created();
    expect((await errorOf(await adminPost(h.system, `/admin/orders/${id}/${action}`))).code).toBe(
      'rule_action_not_supported',
    );
  });
});

describe("an order's warehouse never changes", () => {
  it('when the store is remapped, later events keep the order in its warehouse and say so', async () => {
    const { body, id } = await created();
    await putJson(h.system, '/admin/warehouses/IST-KDK', {
      category: 'market',
      name: 'Kadıköy Market Deposu',
      externalStoreIds: [],
    });
    await putJson(h.system, '/admin/warehouses/IST-MODA', {
      category: 'market',
      name: 'Moda Deposu',
      externalStoreIds: [MARKET_STORE],
    });
    try {
      await deliver(h.system, withStatus(body, 'READY_FOR_PICKUP'));
      const d = await detail(h.system, id);
      expect(d.warehouseCode).toBe('IST-KDK');
      expect(d.status).toBe('processing');
      expect(d.timeline.some((e) => e.message.includes('the order stays in IST-KDK'))).toBe(true);
    } finally {
      await putJson(h.system, '/admin/warehouses/IST-MODA', {
        category: 'market',
        name: 'Moda Deposu',
        externalStoreIds: [],
      });
      await putJson(h.system, '/admin/warehouses/IST-KDK', {
        category: 'market',
        name: 'Kadıköy Market Deposu',
        externalStoreIds: [MARKET_STORE],
      });
    }
  });

  it('when anything tries to update it in the database, the update is refused', async () => {
    const { id } = await created();
    await expect(
      h.system.db.updateTable('orders').set({ warehouse_code: 'IST-USK-SU' }).where('id', '=', id).execute(),
    ).rejects.toThrow(/cannot change/);
    expect((await detail(h.system, id)).warehouseCode).toBe('IST-KDK');
  });
});
