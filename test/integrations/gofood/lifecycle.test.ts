import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type GofoodEventName,
  gofoodNotification,
  sendGofood,
  signGofood,
} from '../../support/fake-gobiz.js';
import { startTestSystem, type TestSystem, waitFor } from '../../support/system.js';
import {
  configureOutlet,
  deliver,
  gofoodOrder,
  orderNumber,
  seedWarehouse,
  stockLevel,
  timeline,
} from './helpers.js';

let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem({
    env: { GOFOOD_NOTIFICATION_SECRET: 'gofood-notification-secret-0123456789' },
  });
  await seedWarehouse(system, 'KITCHEN-1');
  const res = await configureOutlet(system, 'OUTLET-STOCK', {
    acceptanceMode: 'auto',
    warehouse: 'KITCHEN-1',
  });
  expect(res.status).toBe(200);
});

afterAll(async () => {
  await system?.stop();
});

async function inboxCount(): Promise<number> {
  const row = await system.db
    .selectFrom('inbound_events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('POST /webhooks/gofood', () => {
  describe('when the X-Go-Signature header is missing', () => {
    it('answers 401 and stores nothing', async () => {
      const before = await inboxCount();
      const res = await sendGofood(
        system.baseUrl,
        gofoodNotification('merchant_accepted', { orderNumber: orderNumber() }),
        { signature: null },
      );
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
      expect(await inboxCount()).toBe(before);
    });
  });

  describe('when the signature was made with another secret or over another body', () => {
    it('answers 401 and stores nothing', async () => {
      const before = await inboxCount();
      const notification = gofoodNotification('merchant_accepted', { orderNumber: orderNumber() });
      const raw = JSON.stringify(notification);
      const wrongSecret = await sendGofood(system.baseUrl, notification, {
        signature: signGofood(raw, 'another-secret-entirely-000000'),
      });
      expect(wrongSecret.status).toBe(401);
      const tampered = await sendGofood(system.baseUrl, notification, {
        raw: raw.replace('96500.00', '1.00'),
        signature: signGofood(raw),
      });
      expect(tampered.status).toBe(401);
      const garbage = await sendGofood(system.baseUrl, notification, { signature: 'not-hex-at-all' });
      expect(garbage.status).toBe(401);
      expect(await inboxCount()).toBe(before);
    });
  });

  describe('when the same event is delivered twice with the same X-Go-Idempotency-Key', () => {
    it('stores it once and answers 200 duplicate with the first event id', async () => {
      const notification = gofoodNotification('merchant_accepted', { orderNumber: orderNumber() });
      const key = `idem-${randomUUID()}`;
      const first = await sendGofood(system.baseUrl, notification, { idempotencyKey: key });
      expect(first.status).toBe(202);
      const { eventId } = (await first.json()) as { eventId: string };
      const second = await sendGofood(system.baseUrl, notification, { idempotencyKey: key });
      expect(second.status).toBe(200);
      expect(await second.json()).toEqual({ eventId, duplicate: true });
      const rows = await system.db
        .selectFrom('inbound_events')
        .where('dedup_key', '=', key)
        .selectAll()
        .execute();
      expect(rows).toHaveLength(1);
    });
  });

  describe('when there is no X-Go-Idempotency-Key', () => {
    it('deduplicates on header.event_id', async () => {
      const eventId = randomUUID();
      const notification = gofoodNotification('merchant_accepted', { orderNumber: orderNumber() }, eventId);
      const first = await sendGofood(system.baseUrl, notification);
      expect(first.status).toBe(202);
      const second = await sendGofood(system.baseUrl, notification);
      expect(second.status).toBe(200);
      expect(((await second.json()) as { duplicate: boolean }).duplicate).toBe(true);
      const rows = await system.db
        .selectFrom('inbound_events')
        .where('source', '=', 'gofood')
        .where('dedup_key', '=', eventId)
        .selectAll()
        .execute();
      expect(rows).toHaveLength(1);
    });
  });

  describe('when absent values arrive as null and unknown fields are added', () => {
    it('accepts the event and creates the order from what is there', async () => {
      const number = orderNumber();
      const notification = gofoodNotification('merchant_accepted', { orderNumber: number });
      const body = notification.body as Record<string, unknown>;
      body.customer = null;
      body.driver = null;
      body.brand_new_section = { anything: [1, 2, 3] };
      const order = body.order as Record<string, unknown>;
      order.currency = null;
      order.takeaway_charges = null;
      order.cutlery_requested = null;
      const items = order.order_items as Record<string, unknown>[];
      for (const item of items) item.variants = null;
      const res = await sendGofood(system.baseUrl, notification);
      expect(res.status).toBe(202);
      const created = await gofoodOrder(system, number);
      expect(created).toMatchObject({ status: 'confirmed', currency: 'IDR', customer_id: null });
    });
  });

  describe('when the notification names an event we do not know', () => {
    it('stores it (2xx) and marks it for attention instead of losing it', async () => {
      const notification = gofoodNotification('merchant_accepted', { orderNumber: orderNumber() });
      (notification.header as Record<string, unknown>).event_name = 'gofood.order.teleported';
      const res = await sendGofood(system.baseUrl, notification);
      expect(res.status).toBe(202);
      const { eventId } = (await res.json()) as { eventId: string };
      const row = await waitFor(async () => {
        const r = await system.db
          .selectFrom('inbound_events')
          .selectAll()
          .where('id', '=', eventId)
          .executeTakeFirst();
        return r?.status === 'attention' ? r : undefined;
      });
      expect(row.outcome).toContain('gofood.order.teleported');
    });
  });
});

describe('when the first event of an unknown order arrives', () => {
  it('creates the order with items, variants, notes, money in minor units, customer and outlet facts', async () => {
    const number = orderNumber();
    await deliver(system, 'merchant_accepted', { orderNumber: number, serviceType: 'gofood_pickup' });
    const order = await gofoodOrder(system, number);
    expect(order).toMatchObject({
      status: 'confirmed',
      channel_status: 'merchant_accepted',
      payment_status: 'pending',
      currency: 'IDR',
      subtotal: 9_900_100,
      shipping_total: 200_000,
      discount_total: 450_100,
      total: 9_650_000,
      external_refs: { outletId: 'G813100998', externalOutletId: '5023' },
    });
    expect(order.attributes.gofood).toMatchObject({
      outletId: 'G813100998',
      serviceType: 'gofood_pickup',
      fulfilment: 'pickup',
      cutleryRequested: true,
      acceptanceMode: 'auto',
    });
    const items = await system.db
      .selectFrom('order_items')
      .selectAll()
      .where('order_id', '=', order.id)
      .orderBy('line_no')
      .execute();
    expect(items.map((i) => [i.sku, i.quantity, i.unit_price, i.total_price])).toEqual([
      ['SKU-COMBO', 1, 4_900_000, 4_900_000],
      ['SKU-AYAM', 2, 2_500_050, 5_000_100],
    ]);
    expect(items[1]?.metadata).toEqual({
      notes: 'no onions',
      variants: [{ id: '723ed571-b4c5-40de-9710-75291a249413', externalId: 'V-SPICY', name: 'Extra spicy' }],
    });
    const customer = await system.db
      .selectFrom('customers')
      .selectAll()
      .where('id', '=', order.customer_id ?? '')
      .executeTakeFirstOrThrow();
    expect(customer).toMatchObject({ external_id: 'cust-8f1c', name: 'Budi Santoso' });
  });
});

/** GoFood's three documented simulations, end to end through the gateway. */
const simulations: {
  name: string;
  events: GofoodEventName[];
  status: string;
  paymentStatus: string;
  channelStatus: string;
}[] = [
  {
    name: 'case 1: order success',
    events: ['merchant_accepted', 'driver_otw_pickup', 'driver_arrived', 'completed'],
    status: 'delivered',
    paymentStatus: 'pending',
    channelStatus: 'completed',
  },
  {
    name: 'case 2: accepted then cancelled',
    events: ['merchant_accepted', 'cancelled'],
    status: 'cancelled',
    paymentStatus: 'pending',
    channelStatus: 'cancelled',
  },
  {
    name: 'case 3: cancelled but payment successful',
    events: ['merchant_accepted', 'placed', 'cancelled'],
    status: 'cancelled',
    paymentStatus: 'paid',
    channelStatus: 'cancelled',
  },
];

describe("GoFood's documented simulations", () => {
  for (const simulation of simulations) {
    describe(`when GoFood sends ${simulation.name} (${simulation.events.join(', ')})`, () => {
      it(`ends ${simulation.status} with payment ${simulation.paymentStatus}`, async () => {
        const number = orderNumber();
        for (const event of simulation.events) await deliver(system, event, { orderNumber: number });
        const order = await gofoodOrder(system, number);
        expect({
          status: order.status,
          paymentStatus: order.payment_status,
          channelStatus: order.channel_status,
        }).toEqual({
          status: simulation.status,
          paymentStatus: simulation.paymentStatus,
          channelStatus: simulation.channelStatus,
        });
        const detail = (await (await system.admin(`/admin/orders/${order.id}`)).json()) as {
          status: string;
          paymentStatus: string;
          channelStatusHistory: { channelStatus: string; applied: boolean }[];
        };
        expect(detail.status).toBe(simulation.status);
        expect(detail.paymentStatus).toBe(simulation.paymentStatus);
        expect(detail.channelStatusHistory.map((h) => [h.channelStatus, h.applied])).toEqual(
          simulation.events.filter((e) => e !== 'placed').map((e) => [e, true]),
        );
      });
    });
  }

  describe('when case 1 runs', () => {
    it('walks the internal statuses one legal step at a time on the timeline', async () => {
      const number = orderNumber();
      for (const event of simulations[0]?.events ?? []) await deliver(system, event, { orderNumber: number });
      const order = await gofoodOrder(system, number);
      const steps = (await timeline(system, order.id))
        .filter((e) => e.type === 'created' || e.type === 'status_changed')
        .map((e) => `${e.from_status ?? ''}→${e.to_status}`);
      expect(steps).toEqual([
        '→confirmed',
        'confirmed→processing',
        'processing→shipped',
        'shipped→delivered',
      ]);
    });
  });
});

describe('when events arrive out of order', () => {
  it('creates the order directly in the state of a late first event and records older ones unapplied', async () => {
    const number = orderNumber();
    await deliver(system, 'completed', { orderNumber: number });
    await deliver(system, 'merchant_accepted', { orderNumber: number });
    await deliver(system, 'driver_arrived', { orderNumber: number });
    const order = await gofoodOrder(system, number);
    expect(order).toMatchObject({ status: 'delivered', channel_status: 'completed' });
    const history = await system.db
      .selectFrom('order_channel_statuses')
      .select(['channel_status', 'applied', 'note'])
      .where('order_id', '=', order.id)
      .orderBy('id')
      .execute();
    expect(history).toEqual([
      { channel_status: 'completed', applied: true, note: null },
      {
        channel_status: 'merchant_accepted',
        applied: false,
        note: 'GoFood already reported completed, which is final',
      },
      {
        channel_status: 'driver_arrived',
        applied: false,
        note: 'GoFood already reported completed, which is final',
      },
    ]);
  });

  it('never moves the channel status back from driver_arrived to driver_otw_pickup', async () => {
    const number = orderNumber();
    await deliver(system, 'driver_arrived', { orderNumber: number });
    await deliver(system, 'driver_otw_pickup', { orderNumber: number });
    const order = await gofoodOrder(system, number);
    expect(order).toMatchObject({ status: 'processing', channel_status: 'driver_arrived' });
    // The last entry about the order itself (outbound deliveries are written whenever their jobs run).
    const tl = (await timeline(system, order.id)).filter((e) => e.type !== 'provider_call');
    expect(tl.at(-1)?.message).toContain(
      'driver_otw_pickup recorded, not applied: late: GoFood already reported driver_arrived',
    );
  });

  it('lets nothing override a cancellation, and flags a contradicting completion', async () => {
    const number = orderNumber();
    await deliver(system, 'cancelled', { orderNumber: number });
    await deliver(system, 'driver_otw_pickup', { orderNumber: number });
    await deliver(system, 'completed', { orderNumber: number });
    const order = await gofoodOrder(system, number);
    expect(order).toMatchObject({ status: 'cancelled', channel_status: 'cancelled' });
    expect(order.attention_reason).toBe(
      'GoFood reported completed after cancelled; the order stays cancelled',
    );
  });
});

const fullLifecycle: GofoodEventName[] = [
  'awaiting_merchant_acceptance',
  'merchant_accepted',
  'driver_otw_pickup',
  'driver_arrived',
  'placed',
  'completed',
];

async function finalState(events: { name: GofoodEventName; eventId: string }[], outletId: string) {
  const number = orderNumber('P');
  for (const event of events) {
    // A fresh idempotency key per delivery: duplicates reach the worker, not just the inbox dedup.
    await deliver(
      system,
      event.name,
      { orderNumber: number, outletId },
      {
        eventId: event.eventId,
        idempotencyKey: randomUUID(),
      },
    );
  }
  const order = await gofoodOrder(system, number);
  return { status: order.status, paymentStatus: order.payment_status, channelStatus: order.channel_status };
}

describe('when the same events arrive shuffled and duplicated', () => {
  const cases: { events: GofoodEventName[]; expected: Record<string, string> }[] = [
    {
      events: fullLifecycle,
      expected: { status: 'delivered', paymentStatus: 'paid', channelStatus: 'completed' },
    },
    {
      events: ['merchant_accepted', 'placed', 'cancelled'],
      expected: { status: 'cancelled', paymentStatus: 'paid', channelStatus: 'cancelled' },
    },
    {
      events: ['awaiting_merchant_acceptance', 'merchant_accepted', 'driver_otw_pickup', 'driver_arrived'],
      expected: { status: 'processing', paymentStatus: 'pending', channelStatus: 'driver_arrived' },
    },
  ];
  for (const { events, expected } of cases) {
    it(`ends ${expected.status}/${expected.paymentStatus}/${expected.channelStatus} for every order of ${events.join(', ')}`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }),
          fc.array(fc.nat({ max: events.length - 1 }), { maxLength: 3 }),
          async (order, duplicates) => {
            const withIds = order.map((name) => ({ name, eventId: randomUUID() }));
            const sequence = [...withIds];
            for (const index of duplicates) {
              const copy = withIds[index];
              if (copy) sequence.splice(Math.min(sequence.length, index + 2), 0, copy);
            }
            expect(await finalState(sequence, 'G813100998')).toEqual(expected);
          },
        ),
        { numRuns: 6 },
      );
    });
  }

  it('leaves the stock the same whichever order a reserved-then-completed order arrives in', async () => {
    const before = await stockLevel(system, 'KITCHEN-1', 'SKU-AYAM');
    const forward = await finalState(
      fullLifecycle.map((name) => ({ name, eventId: randomUUID() })),
      'OUTLET-STOCK',
    );
    const backward = await finalState(
      [...fullLifecycle].reverse().map((name) => ({ name, eventId: randomUUID() })),
      'OUTLET-STOCK',
    );
    expect(forward).toEqual(backward);
    const after = await stockLevel(system, 'KITCHEN-1', 'SKU-AYAM');
    expect(after).toEqual({ on_hand: before.on_hand - 4, reserved: before.reserved });
  });

  it('returns cancelled orders’ stock whichever order the events arrive in', async () => {
    const before = await stockLevel(system, 'KITCHEN-1', 'SKU-COMBO');
    const events: GofoodEventName[] = ['merchant_accepted', 'driver_otw_pickup', 'cancelled'];
    const forward = await finalState(
      events.map((name) => ({ name, eventId: randomUUID() })),
      'OUTLET-STOCK',
    );
    const backward = await finalState(
      [...events].reverse().map((name) => ({ name, eventId: randomUUID() })),
      'OUTLET-STOCK',
    );
    expect(forward).toEqual({ status: 'cancelled', paymentStatus: 'pending', channelStatus: 'cancelled' });
    expect(backward).toEqual(forward);
    expect(await stockLevel(system, 'KITCHEN-1', 'SKU-COMBO')).toEqual(before);
  });
});

describe('when the outlet has a warehouse', () => {
  it('reserves the items on creation and commits them when GoFood completes the order', async () => {
    const before = await stockLevel(system, 'KITCHEN-1', 'SKU-AYAM');
    const number = orderNumber();
    await deliver(system, 'merchant_accepted', { orderNumber: number, outletId: 'OUTLET-STOCK' });
    const reserved = await stockLevel(system, 'KITCHEN-1', 'SKU-AYAM');
    expect(reserved).toEqual({ on_hand: before.on_hand, reserved: before.reserved + 2 });
    await deliver(system, 'completed', { orderNumber: number, outletId: 'OUTLET-STOCK' });
    expect(await stockLevel(system, 'KITCHEN-1', 'SKU-AYAM')).toEqual({
      on_hand: before.on_hand - 2,
      reserved: before.reserved,
    });
    const order = await gofoodOrder(system, number);
    expect(order.warehouse_code).toBe('KITCHEN-1');
  });
});

describe('implied steps say so', () => {
  /** The order's status steps with their timeline message and whether they are marked implied. */
  async function steps(orderId: string) {
    const rows = await system.db
      .selectFrom('order_events')
      .select(['to_status', 'message', 'metadata'])
      .where('order_id', '=', orderId)
      .where('type', '=', 'status_changed')
      .orderBy('id')
      .execute();
    return rows.map((r) => ({ to: r.to_status, message: r.message, implied: r.metadata.implied === true }));
  }

  describe('when a completed order is walked through shipped', () => {
    it('the shipped entry says it is implied, not reported by GoFood; the reported steps do not', async () => {
      const number = orderNumber();
      for (const event of ['merchant_accepted', 'driver_otw_pickup', 'completed'] as const) {
        await deliver(system, event, { orderNumber: number });
      }
      const order = await gofoodOrder(system, number);
      const walked = await steps(order.id);
      expect(walked.map((s) => [s.to, s.implied])).toEqual([
        ['processing', false],
        ['shipped', true],
        ['delivered', false],
      ]);
      const shipped = walked.find((s) => s.to === 'shipped');
      expect(shipped?.message).toMatch(/implied/);
      expect(shipped?.message).toContain('not reported by GoFood');
      expect(walked.find((s) => s.to === 'delivered')?.message).toBe('GoFood: completed');
    });
  });

  describe('when completed follows merchant_accepted directly', () => {
    it('both processing and shipped are marked implied', async () => {
      const number = orderNumber();
      await deliver(system, 'merchant_accepted', { orderNumber: number });
      await deliver(system, 'completed', { orderNumber: number });
      const walked = await steps((await gofoodOrder(system, number)).id);
      expect(walked.map((s) => [s.to, s.implied])).toEqual([
        ['processing', true],
        ['shipped', true],
        ['delivered', false],
      ]);
      expect(walked.filter((s) => s.implied).every((s) => s.message.includes('not reported by GoFood'))).toBe(
        true,
      );
    });
  });
});
