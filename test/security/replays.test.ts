import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staleNotice } from '../../src/workers/inbox-processor.js';
import { MARKET_TOKEN, SU_TOKEN, ysOrder } from '../integrations/yemeksepeti/fixtures.js';
import { GOFOOD_NOTIFICATION_SECRET, gofoodNotification, sendGofood } from '../support/fake-gobiz.js';
import { startTestSystem, type TestSystem, waitFor } from '../support/system.js';

let system: TestSystem;
beforeAll(async () => {
  system = await startTestSystem({
    env: {
      GOFOOD_NOTIFICATION_SECRET,
      YEMEKSEPETI_MARKET_TOKEN: MARKET_TOKEN,
      YEMEKSEPETI_SU_TOKEN: SU_TOKEN,
    },
  });
});
afterAll(async () => {
  await system?.stop();
});

const eventsFor = (source: string, externalOrderId: string) =>
  system.db
    .selectFrom('inbound_events')
    .select(['id', 'status', 'outcome'])
    .where('source', '=', source)
    .where('external_order_id', '=', externalOrderId)
    .execute();

describe('when a captured GoFood notification is re-sent with new idempotency keys', () => {
  it('is one event: deduplication uses the signed event id, not the unsigned header', async () => {
    const notification = gofoodNotification('awaiting_merchant_acceptance', { orderNumber: 'RPL-1' });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push(
        (await sendGofood(system.baseUrl, notification, { idempotencyKey: randomUUID() })).status,
      );
    }
    expect(statuses).toEqual([202, 200, 200]);
    expect(await eventsFor('gofood', 'RPL-1')).toHaveLength(1);
  });
});

describe('when a signed GoFood notification is older than NOTIFICATION_MAX_AGE_MS', () => {
  it('is stored for attention and not applied: no order is made', async () => {
    const notification = gofoodNotification('awaiting_merchant_acceptance', { orderNumber: 'RPL-OLD-1' });
    const header = notification.header as Record<string, unknown>;
    header.timestamp = new Date(Date.now() - 25 * 3600_000).toISOString();
    expect((await sendGofood(system.baseUrl, notification)).status).toBe(202);
    const [event] = await waitFor(async () => {
      const rows = await eventsFor('gofood', 'RPL-OLD-1');
      return rows[0]?.status === 'attention' ? rows : undefined;
    });
    expect(event?.outcome).toMatch(/^stale: signed at /);
    const orders = await system.db
      .selectFrom('orders')
      .select('id')
      .where('external_order_id', '=', 'RPL-OLD-1')
      .execute();
    expect(orders).toEqual([]);
  });

  it('judges the age by the signed timestamp only', () => {
    const now = Date.parse('2026-12-05T12:00:00Z');
    const day = 24 * 3600_000;
    expect(staleNotice({ signedAt: '2026-12-04T11:59:00Z' }, day, now)).toMatch(/^stale/);
    expect(staleNotice({ signedAt: '2026-12-04T12:01:00Z' }, day, now)).toBeUndefined();
    expect(staleNotice({ signedAt: 'not a date' }, day, now)).toBeUndefined();
    expect(staleNotice({}, day, now)).toBeUndefined();
    expect(staleNotice({ signedAt: '2026-01-01T00:00:00Z' }, 0, now)).toBeUndefined();
  });
});

describe('when the same Yemeksepeti body arrives for Market and then for Su', () => {
  it('is two events, one per category', async () => {
    const order = ysOrder();
    const raw = JSON.stringify(order);
    const post = (pathname: string, token: string) =>
      fetch(`${system.baseUrl}${pathname}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: raw,
      });
    expect((await post('/api/v2/yemeksepeti/market/order/create', MARKET_TOKEN)).status).toBe(202);
    expect((await post('/api/v2/yemeksepeti/su/order/create', SU_TOKEN)).status).toBe(202);
    expect((await post('/api/v2/yemeksepeti/su/order/create', SU_TOKEN)).status).toBe(200);
  });
});
