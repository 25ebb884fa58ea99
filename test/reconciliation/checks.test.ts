import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { integrations } from '../../src/integrations/index.js';
import { deliverOrder, shipOrder } from '../../src/integrations/storefront/lifecycle.js';
import { type CreateOrderInput, createOrder } from '../../src/orders/create.js';
import { getOrderForUpdate } from '../../src/orders/locks.js';
import { coreChecks } from '../../src/reconciliation/checks.js';
import { startTestSystem, type TestSystem, waitFor } from '../support/system.js';

interface FindingDto {
  count: number;
  sample: string[];
}
interface RunDto {
  id: string;
  status: string;
  error: string | null;
  report: {
    cancelledButPaid: FindingDto;
    paidNotConfirmed: FindingDto;
    amountMismatches: FindingDto;
    stuckOrders: FindingDto & { byChannelAndState: Record<string, number> };
    channels: Record<string, Record<string, FindingDto>>;
    repairs: {
      inboxRequeued: number;
      outboxResent: number;
      reservationsReleased: string[];
      channels: Record<string, string[]>;
    };
    interventions: { opened: number; settled: number };
  };
}
interface EntryDto {
  id: string;
  source: string;
  causeKey: string;
  state: string;
  acknowledged: boolean;
}

let seq = 0;

describe('reconciliation rules', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({
      // No sweeper timer: the lost-job repairs must be the run's own, not the timer's.
      env: {
        RECONCILE_STUCK_AFTER: 'manual:confirmed=30m',
        RECONCILE_CRON: '0 0 1 1 *',
        SWEEP_INTERVAL_MS: '3600000',
      },
    });
  });
  afterAll(async () => {
    await system?.stop();
  });

  const order = async (input: Partial<CreateOrderInput> & { channel?: string }) => {
    seq++;
    const { order: created } = await createOrder(system.db, {
      input: {
        channel: 'manual',
        externalOrderId: `rule-${seq}`,
        currency: 'TRY',
        items: [{ sku: 'R', name: 'r', quantity: 1, unitPrice: 1000 }],
        actor: 'test',
        ...input,
      },
      announce: false,
    });
    return created;
  };
  const backdate = (id: string, minutes: number) =>
    sql`update orders set created_at = now() - make_interval(mins => ${minutes}),
      updated_at = now() - make_interval(mins => ${minutes}) where id = ${id}`.execute(system.db);
  const run = async () => {
    const res = await system.admin('/admin/reconciliation/runs', { method: 'POST' });
    expect(res.status).toBe(201);
    return (await res.json()) as RunDto;
  };
  const entriesFor = async (orderId: string) =>
    ((await (await system.admin(`/admin/interventions?orderId=${orderId}`)).json()) as { data: EntryDto[] })
      .data;

  describe('cancelled but paid is normal on GoFood', () => {
    it('reports a cancelled manual order that kept its money, not a GoFood one', async () => {
      const gofood = await order({ channel: 'gofood', status: 'cancelled', paymentStatus: 'paid' });
      const manual = await order({ status: 'cancelled', paymentStatus: 'paid' });
      const { report } = await run();
      expect(report.cancelledButPaid.sample).toContain(manual.id);
      expect(report.cancelledButPaid.sample).not.toContain(gofood.id);
      expect(await entriesFor(gofood.id)).toEqual([]);
      const [entry] = await entriesFor(manual.id);
      expect(entry).toMatchObject({
        source: 'payment_mismatch',
        causeKey: `reconciliation:cancelledButPaid:${manual.id}`,
      });
    });

    it('still reports a GoFood cancelled order partially refunded (a pair GoFood does not declare)', async () => {
      const partial = await order({
        channel: 'gofood',
        status: 'cancelled',
        paymentStatus: 'partially_refunded',
      });
      await sql`update orders set refunded_total = 100 where id = ${partial.id}`.execute(system.db);
      expect((await run()).report.cancelledButPaid.sample).toContain(partial.id);
    });
  });

  describe('an acknowledged finding', () => {
    it('is no longer reported and opens no new entry', async () => {
      const manual = await order({ status: 'cancelled', paymentStatus: 'paid' });
      await run();
      const [entry] = await entriesFor(manual.id);
      const ack = await system.admin(`/admin/interventions/${entry?.id}/acknowledge`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ note: 'kept as store credit, agreed with the customer' }),
      });
      expect(ack.status).toBe(200);
      expect(await ack.json()).toMatchObject({ state: 'resolved', acknowledged: true });
      const { report } = await run();
      expect(report.cancelledButPaid.sample).not.toContain(manual.id);
      const entries = await entriesFor(manual.id);
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ state: 'resolved', acknowledged: true });
    });
  });

  describe('an order stuck in a state past its channel threshold', () => {
    it('is reported by channel and state; one that changed recently is not', async () => {
      const stuck = await order({ status: 'confirmed' });
      const fresh = await order({ status: 'confirmed' });
      await backdate(stuck.id, 45);
      await backdate(fresh.id, 10);
      const { report } = await run();
      expect(report.stuckOrders.sample).toContain(stuck.id);
      expect(report.stuckOrders.sample).not.toContain(fresh.id);
      expect(report.stuckOrders.byChannelAndState['manual:confirmed']).toBeGreaterThanOrEqual(1);
      expect((await entriesFor(stuck.id))[0]).toMatchObject({ source: 'reconciliation' });
    });
  });

  describe('a paid order not confirmed', () => {
    it('is reported once it is older than RECONCILE_PAID_UNCONFIRMED_MS', async () => {
      const late = await order({ status: 'pending', paymentStatus: 'paid' });
      const recent = await order({ status: 'pending', paymentStatus: 'paid' });
      await backdate(late.id, 20);
      const { report } = await run();
      expect(report.paidNotConfirmed.sample).toContain(late.id);
      expect(report.paidNotConfirmed.sample).not.toContain(recent.id);
      expect((await entriesFor(late.id))[0]).toMatchObject({ source: 'payment_mismatch' });
    });
  });

  describe('a finding whose cause is gone', () => {
    it('has its entry resolved by the next run', async () => {
      const late = await order({ status: 'pending', paymentStatus: 'paid' });
      await backdate(late.id, 20);
      await run();
      expect((await entriesFor(late.id))[0]).toMatchObject({ state: 'open' });
      await sql`update orders set status = 'confirmed' where id = ${late.id}`.execute(system.db);
      await run();
      expect((await entriesFor(late.id))[0]).toMatchObject({ state: 'resolved' });
    });
  });

  describe('an amount mismatch between the order and its payment', () => {
    it('reports a full refund that is not the total', async () => {
      const mismatch = await order({ status: 'delivered', paymentStatus: 'paid' });
      await sql`update orders set payment_status = 'refunded', refunded_total = 400 where id = ${mismatch.id}`.execute(
        system.db,
      );
      const { report } = await run();
      expect(report.amountMismatches.sample).toContain(mismatch.id);
    });
  });

  describe('shipments, on the storefront (it records them in order_shipments)', () => {
    const storefront = (status: CreateOrderInput['status']) => order({ channel: 'storefront', status });
    const ship = (id: string) =>
      system.db.transaction().execute(async (trx) =>
        shipOrder(trx, await getOrderForUpdate(trx, id), {
          actor: 'test',
          carrier: 'X',
          trackingNumber: id,
        }),
      );
    const deliver = (id: string) =>
      system.db
        .transaction()
        .execute(async (trx) => deliverOrder(trx, await getOrderForUpdate(trx, id), { actor: 'test' }));
    const shipmentFindings = async () => {
      const report = await coreChecks(system.db, system.config, integrations);
      return { shipped: report.shippedWithoutShipment.sample, delivered: report.deliveredWithoutDate.sample };
    };

    it('reports an order shipped without a shipment row, and one delivered without a row', async () => {
      const shipped = await storefront('shipped');
      const delivered = await storefront('delivered');
      const found = await shipmentFindings();
      expect(found.shipped).toEqual(expect.arrayContaining([shipped.id, delivered.id]));
      expect(found.delivered).not.toContain(delivered.id);
    });

    it('does not report an order shipped and delivered with its shipment row', async () => {
      const shipped = await storefront('processing');
      await ship(shipped.id);
      const delivered = await storefront('processing');
      await ship(delivered.id);
      await deliver(delivered.id);
      const found = await shipmentFindings();
      expect([...found.shipped, ...found.delivered]).not.toContain(shipped.id);
      expect([...found.shipped, ...found.delivered]).not.toContain(delivered.id);
    });

    it('reports a delivered order whose shipment row has no delivery date', async () => {
      const delivered = await storefront('processing');
      await ship(delivered.id);
      await sql`update orders set status = 'delivered' where id = ${delivered.id}`.execute(system.db);
      const found = await shipmentFindings();
      expect(found.delivered).toContain(delivered.id);
      expect(found.shipped).not.toContain(delivered.id);
    });

    it('reports an order again once its shipment row is deleted', async () => {
      const shipped = await storefront('processing');
      await ship(shipped.id);
      expect((await shipmentFindings()).shipped).not.toContain(shipped.id);
      await system.db.deleteFrom('order_shipments').where('order_id', '=', shipped.id).execute();
      expect((await shipmentFindings()).shipped).toContain(shipped.id);
    });

    it('does not report the orders of a channel that does not record shipments', async () => {
      const manual = await order({ status: 'shipped' });
      const gofood = await order({ channel: 'gofood', status: 'delivered' });
      const found = await shipmentFindings();
      expect([...found.shipped, ...found.delivered]).not.toContain(manual.id);
      expect([...found.shipped, ...found.delivered]).not.toContain(gofood.id);
      // With no channel declaring it, the checks report nothing at all.
      const undeclared = await coreChecks(system.db, system.config, []);
      expect(undeclared.shippedWithoutShipment.count).toBe(0);
      expect(undeclared.deliveredWithoutDate.count).toBe(0);
    });
  });

  describe('a GoFood order past its acceptance deadline with no decision', () => {
    const awaiting = async (outletId: string) => {
      const created = await order({
        channel: 'gofood',
        status: 'pending',
        channelStatus: 'awaiting_merchant_acceptance',
        attributes: { gofood: { outletId, fulfilment: 'delivery' } },
      });
      await backdate(created.id, 10);
      return created;
    };

    it('gets its lost deadline job again when its outlet decides at the deadline', async () => {
      await system.db
        .insertInto('gofood_outlets')
        .values({ outlet_id: 'OUT-MANUAL', acceptance_mode: 'manual' })
        .execute();
      const lost = await awaiting('OUT-MANUAL');
      const { report } = await run();
      expect(report.channels.gofood?.pastAcceptanceDeadline?.sample).toContain(lost.id);
      expect(report.repairs.channels['gofood.pastAcceptanceDeadline']).toContain(lost.id);
      // The deadline job ran: our provisional rejection is on the order.
      await waitFor(async () => {
        const row = await system.db
          .selectFrom('orders')
          .select('attributes')
          .where('id', '=', lost.id)
          .executeTakeFirstOrThrow();
        return (row.attributes as { gofood?: { deadlineRejection?: unknown } }).gofood?.deadlineRejection;
      });
      expect(await entriesFor(lost.id)).toEqual([]);
    });

    it('becomes an intervention when there is no deadline to run (auto outlet)', async () => {
      const undecided = await awaiting('OUT-UNKNOWN');
      const { report } = await run();
      expect(report.channels.gofood?.pastAcceptanceDeadline?.sample).toContain(undecided.id);
      expect((await entriesFor(undecided.id))[0]).toMatchObject({
        source: 'reconciliation',
        causeKey: `reconciliation:gofood.pastAcceptanceDeadline:${undecided.id}`,
      });
    });
  });

  describe('safe repairs', () => {
    it('releases stock still reserved for a cancelled order, on its timeline', async () => {
      await sql`insert into warehouses (code, category, name) values ('REC-W', 'market', 'rec')`.execute(
        system.db,
      );
      const cancelled = await order({ status: 'cancelled' });
      await sql`insert into stock_reservations (order_id, warehouse_code, sku, quantity) values (${cancelled.id}, 'REC-W', 'R', 1)`.execute(
        system.db,
      );
      const { report } = await run();
      expect(report.repairs.reservationsReleased).toContain(cancelled.id);
      const left = await system.db
        .selectFrom('stock_reservations')
        .select('status')
        .where('order_id', '=', cancelled.id)
        .executeTakeFirstOrThrow();
      expect(left.status).toBe('released');
      const timeline = await system.db
        .selectFrom('order_events')
        .select(['type', 'actor'])
        .where('order_id', '=', cancelled.id)
        .execute();
      expect(timeline).toContainEqual({ type: 'stock_released', actor: 'reconciliation' });
    });

    it('re-enqueues an inbox event and re-sends an outbox message whose jobs were lost', async () => {
      const lostOrder = await order({ status: 'confirmed' });
      const event = await system.db
        .insertInto('inbound_events')
        .values({
          source: 'nobody',
          dedup_key: `lost-${seq}`,
          event_type: 'x',
          payload: '{}',
          meta: {},
          updated_at: sql`now() - interval '1 hour'`,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const message = await system.db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto('outbox')
          .values({ order_id: lostOrder.id, topic: 'nowhere.topic', payload: {} })
          .returning('id')
          .executeTakeFirstOrThrow();
        await trx
          .updateTable('outbox')
          .set({ status: 'enqueued', enqueued_at: sql`now() - interval '1 hour'` })
          .where('id', '=', row.id)
          .execute();
        return row;
      });
      const { report } = await run();
      expect(report.repairs.inboxRequeued).toBeGreaterThanOrEqual(1);
      expect(report.repairs.outboxResent).toBeGreaterThanOrEqual(1);
      expect(await system.process.services.queues.inbox.getJob(event.id)).toBeDefined();
      expect(await system.process.services.queues.outbound.getJob(`outbox-${message.id}`)).toBeDefined();
    });
  });

  describe('runs never overlap', () => {
    it('refuses a run while another is running (409), and records nothing', async () => {
      const running = await system.db
        .insertInto('reconciliation_runs')
        .values({ trigger: 'schedule', window_start: new Date(), window_end: new Date() })
        .returning('id')
        .executeTakeFirstOrThrow();
      try {
        const before = await system.db.selectFrom('reconciliation_runs').select('id').execute();
        const res = await system.admin('/admin/reconciliation/runs', { method: 'POST' });
        expect(res.status).toBe(409);
        const after = await system.db.selectFrom('reconciliation_runs').select('id').execute();
        expect(after).toHaveLength(before.length);
      } finally {
        await system.db.deleteFrom('reconciliation_runs').where('id', '=', running.id).execute();
      }
    });

    it('takes over a run left running past RECONCILE_RUN_TIMEOUT_MS by a dead process', async () => {
      const abandoned = await system.db
        .insertInto('reconciliation_runs')
        .values({ trigger: 'schedule', window_start: new Date(), window_end: new Date() })
        .returning('id')
        .executeTakeFirstOrThrow();
      await sql`update reconciliation_runs set started_at = now() - interval '2 hours' where id = ${abandoned.id}`.execute(
        system.db,
      );
      const next = await run();
      expect(next.status).toBe('succeeded');
      const old = await system.db
        .selectFrom('reconciliation_runs')
        .select(['status', 'error'])
        .where('id', '=', abandoned.id)
        .executeTakeFirstOrThrow();
      expect(old.status).toBe('failed');
      expect(old.error).toContain('abandoned');
    });
  });
});
