import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrder } from '../../src/orders/create.js';
import { withOrderLock } from '../../src/orders/locks.js';
import { transitionOrder } from '../../src/orders/transition.js';
import { nextWindow } from '../../src/reconciliation/run.js';
import { CHAIN_ID, MARKET_VENDOR, ysOrder } from '../integrations/yemeksepeti/fixtures.js';
import { adminPost, orderIdFor, startYs, type YsHarness } from '../integrations/yemeksepeti/helpers.js';
import { waitFor } from '../support/system.js';

interface RunDto {
  id: string;
  trigger: string;
  status: string;
  windowStart: string;
  windowEnd: string;
  error: string | null;
  report: {
    cancelledButPaid: { count: number; sample: string[] };
    deadEvents: { count: number; sample: string[] };
    integrations: Record<
      string,
      { vendors?: { ingested?: number; error?: string }[]; skipped?: string; failures?: string[] }
    >;
  };
}

const runNow = async (h: YsHarness, body: Record<string, unknown> = {}) => {
  const res = await adminPost(h.system, '/admin/reconciliation/runs', body);
  return { status: res.status, body: (await res.json()) as RunDto };
};

describe('a reconciliation run', () => {
  let h: YsHarness;
  beforeAll(async () => {
    h = await startYs({ YEMEKSEPETI_RECONCILE_VENDORS: `${CHAIN_ID}:${MARKET_VENDOR}` });
  });
  afterAll(async () => {
    await h?.stop();
  });

  describe('when Yemeksepeti lists an order whose push never arrived', () => {
    it('recovers it through the inbox, records the run and its report', async () => {
      const missed = ysOrder();
      h.ys.setVendorOrders(CHAIN_ID, MARKET_VENDOR, [missed]);
      const { status, body } = await runNow(h);
      expect(status).toBe(201);
      expect(body).toMatchObject({ trigger: 'manual', status: 'succeeded', error: null });
      expect(body.report.integrations.yemeksepeti?.vendors?.[0]).toMatchObject({ ingested: 1 });
      const orderId = await orderIdFor(h.system, String(missed.order_id));
      expect(orderId).toBeTruthy();

      const listed = (await (await h.system.admin('/admin/reconciliation/runs')).json()) as {
        data: RunDto[];
      };
      expect(listed.data.map((r) => r.id)).toContain(body.id);
      const one = (await (await h.system.admin(`/admin/reconciliation/runs/${body.id}`)).json()) as RunDto;
      expect(one.report.integrations.yemeksepeti?.vendors?.[0]).toMatchObject({ ingested: 1 });
    });
  });

  describe('when a cancelled order kept its payment', () => {
    it('reports it under cancelledButPaid', async () => {
      const { order } = await createOrder(h.system.db, {
        input: {
          channel: 'manual',
          externalOrderId: 'recon-paid-cancelled',
          status: 'confirmed',
          paymentStatus: 'paid',
          currency: 'TRY',
          items: [{ sku: 'X', name: 'x', quantity: 1, unitPrice: 1000 }],
          actor: 'test',
        },
        announce: false,
      });
      await withOrderLock(h.system.db, 'manual', 'recon-paid-cancelled', (trx) =>
        transitionOrder(trx, { order, to: 'cancelled', actor: 'test', reason: 'customer left' }),
      );
      const { body } = await runNow(h);
      expect(body.report.cancelledButPaid.sample).toContain(order.id);
      expect(body.report.cancelledButPaid.count).toBeGreaterThanOrEqual(1);
    });
  });

  describe('when the partner API fails for a vendor', () => {
    it('marks the run failed, names the vendor, and still reports the core checks', async () => {
      h.ys.vendorOrders.fail({ status: 400, body: { message: 'unknown vendor' } });
      const { body } = await runNow(h);
      expect(body.status).toBe('failed');
      expect(body.error).toContain(`yemeksepeti: ${CHAIN_ID}/${MARKET_VENDOR}`);
      expect(body.report.integrations.yemeksepeti?.vendors?.[0]?.error).toBeTruthy();
      expect(body.report.deadEvents).toEqual(expect.objectContaining({ count: expect.any(Number) }));
    });
  });

  describe('when the window is invalid', () => {
    it('answers 400 and records nothing', async () => {
      const before = await h.system.db.selectFrom('reconciliation_runs').select('id').execute();
      const res = await runNow(h, { since: '2026-11-23T10:00:00Z', until: '2026-11-23T09:00:00Z' });
      expect(res.status).toBe(400);
      const after = await h.system.db.selectFrom('reconciliation_runs').select('id').execute();
      expect(after).toHaveLength(before.length);
    });

    it.each([
      ['since', { since: '-010000-01-01T00:00:00Z' }],
      ['until', { until: '+275000-01-01T00:00:00Z' }],
    ])(
      'answers 400 naming %s when it is outside what Postgres stores, and records nothing',
      async (field, body) => {
        const before = await h.system.db.selectFrom('reconciliation_runs').select('id').execute();
        const res = await runNow(h, body);
        expect(res.status).toBe(400);
        const details = (res.body as unknown as { error: { details: { path: string }[] } }).error.details;
        expect(details.map((d) => d.path)).toContain(field);
        const after = await h.system.db.selectFrom('reconciliation_runs').select('id').execute();
        expect(after).toHaveLength(before.length);
      },
    );
  });

  describe('the window of the next scheduled run', () => {
    it('starts five minutes before the last successful run ended', async () => {
      const last = await h.system.db
        .selectFrom('reconciliation_runs')
        .select('window_end')
        .where('status', '=', 'succeeded')
        .orderBy('window_end', 'desc')
        .executeTakeFirstOrThrow();
      const window = await nextWindow(
        h.system.db,
        24 * 3600_000,
        new Date(last.window_end.getTime() + 60_000),
      );
      expect(window.since.getTime()).toBe(last.window_end.getTime() - 5 * 60_000);
    });
  });
});

describe('when RECONCILE_CRON fires', () => {
  let h: YsHarness;
  beforeAll(async () => {
    h = await startYs({ RECONCILE_CRON: '*/1 * * * * *' });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('records a scheduled run; without vendors or a chain the Yemeksepeti part says why it skipped', async () => {
    const run = await waitFor(async () =>
      h.system.db
        .selectFrom('reconciliation_runs')
        .selectAll()
        .where('trigger', '=', 'schedule')
        .where('status', '!=', 'running')
        .executeTakeFirst(),
    );
    expect(run.status).toBe('succeeded');
    expect(run.report).toMatchObject({
      integrations: { yemeksepeti: { skipped: expect.stringContaining('no vendors') } },
    });
  });
});
