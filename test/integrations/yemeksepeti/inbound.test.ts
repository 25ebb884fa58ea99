import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MARKET_TOKEN, SU_STORE, SU_TOKEN, withStatus, ysOrder } from './fixtures.js';
import { finishedEvent, sendYs, startYs, type YsHarness } from './helpers.js';

let h: YsHarness;
beforeAll(async () => {
  h = await startYs();
});
afterAll(async () => {
  await h?.stop();
});

const countEvents = async () =>
  (await h.system.db.selectFrom('inbound_events').select('id').where('source', '=', 'yemeksepeti').execute())
    .length;

describe('POST /api/v2/yemeksepeti/order/create authentication', () => {
  it.each([
    ['when the Authorization header is missing', null],
    ['when the token is wrong', 'not-the-token-at-all-0000'],
    ['when the token is a prefix of the real one', MARKET_TOKEN.slice(0, -1)],
  ])('%s it answers 401 in the error envelope and stores nothing', async (_name, token) => {
    const before = await countEvents();
    const res = await sendYs(h.system, ysOrder(), token);
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { code: string; requestId: string } };
    expect(body.error.code).toBe('unauthorized');
    expect(body.error.requestId).toBeTruthy();
    expect(await countEvents()).toBe(before);
  });

  describe('when the token belongs to the other category', () => {
    it('the per-category endpoint answers 401 and stores nothing', async () => {
      const before = await countEvents();
      const market = await sendYs(h.system, ysOrder(), SU_TOKEN, '/api/v2/yemeksepeti/market/order/create');
      const su = await sendYs(h.system, ysOrder(), MARKET_TOKEN, '/api/v2/yemeksepeti/su/order/create');
      expect(market.status).toBe(401);
      expect(su.status).toBe(401);
      expect(await countEvents()).toBe(before);
    });
  });

  describe('when the token is the category of the per-category endpoint', () => {
    it('accepts the body with the category in the event meta', async () => {
      const order = ysOrder({ client: { ...(ysOrder().client as object), store_id: SU_STORE } });
      const res = await sendYs(h.system, order, SU_TOKEN, '/api/v2/yemeksepeti/su/order/create');
      expect(res.status).toBe(202);
      const { eventId } = (await res.json()) as { eventId: string };
      const row = await h.system.db
        .selectFrom('inbound_events')
        .selectAll()
        .where('id', '=', eventId)
        .executeTakeFirstOrThrow();
      expect(row.meta).toMatchObject({ category: 'su' });
    });
  });

  describe('when the generic endpoint gets the Su token', () => {
    it('the token decides the category', async () => {
      const res = await sendYs(h.system, ysOrder(), SU_TOKEN);
      expect(res.status).toBe(202);
      const { eventId } = (await res.json()) as { eventId: string };
      const row = await h.system.db
        .selectFrom('inbound_events')
        .selectAll()
        .where('id', '=', eventId)
        .executeTakeFirstOrThrow();
      expect(row.meta).toMatchObject({ category: 'su' });
    });
  });
});

describe('deduplication', () => {
  describe('when the same body is delivered twice', () => {
    it('is one event: 202 then 200 with the same event id', async () => {
      const body = JSON.stringify(ysOrder());
      const first = await sendYs(h.system, body);
      const second = await sendYs(h.system, body);
      expect(first.status).toBe(202);
      expect(second.status).toBe(200);
      const a = (await first.json()) as { eventId: string };
      expect(await second.json()).toEqual({ eventId: a.eventId, duplicate: true });
    });
  });

  describe('when the same order arrives with a new status', () => {
    it('is a new event', async () => {
      const order = ysOrder();
      const first = (await (await sendYs(h.system, order)).json()) as { eventId: string };
      const res = await sendYs(
        h.system,
        withStatus(order, 'CANCELLED', {
          cancellation: { reason: 'MÜŞTERİ İPTALİ', cancelled_by: 'CUSTOMER' },
        }),
      );
      expect(res.status).toBe(202);
      const second = (await res.json()) as { eventId: string };
      expect(second.eventId).not.toBe(first.eventId);
    });
  });
});

describe('validation', () => {
  it.each([
    ['when order_id is missing', (o: Record<string, unknown>) => ({ ...o, order_id: undefined })],
    ['when status is missing', (o: Record<string, unknown>) => ({ ...o, status: null })],
    ['when a create has no items', (o: Record<string, unknown>) => ({ ...o, items: [] })],
    [
      'when a create names no store',
      (o: Record<string, unknown>) => ({ ...o, client: { id: 'v', chain_id: 'c', store_id: null } }),
    ],
  ])('%s it answers 400 with details and stores nothing', async (_name, mutate) => {
    const before = await countEvents();
    const res = await sendYs(h.system, mutate(ysOrder()));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; details: unknown[] } };
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.details.length).toBeGreaterThan(0);
    expect(await countEvents()).toBe(before);
  });

  describe('when the body is not JSON', () => {
    it('answers 400 malformed_json, not 500', async () => {
      const res = await sendYs(h.system, '{"order_id": ');
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('malformed_json');
    });
  });

  describe('when an unknown field holds a number beyond what Postgres numeric holds', () => {
    it('accepts the push and stores the body as received, not a 500', async () => {
      const order = ysOrder();
      const raw = JSON.stringify(order).replace(/^\{/, '{"unexpected_number":1e1000000,');
      const res = await sendYs(h.system, raw);
      expect(res.status).toBe(202);
      const { eventId } = (await res.json()) as { eventId: string };
      const row = await h.system.db
        .selectFrom('inbound_events')
        .select(sql<string>`payload::text`.as('text'))
        .where('id', '=', eventId)
        .executeTakeFirstOrThrow();
      expect(row.text).toBe(raw);
      // The worker reads it (the number parses to Infinity) and creates the order as usual.
      const event = await finishedEvent(h.system, eventId);
      expect(event.status).toBe('processed');
    });
  });

  describe('when a cancel body carries only what a cancel needs and nulls elsewhere', () => {
    it('is accepted', async () => {
      const res = await sendYs(h.system, {
        order_id: 'only-id-and-status',
        status: 'CANCELLED',
        items: null,
        client: null,
        customer: null,
        payment: null,
        cancellation: { reason: null, cancelled_by: null },
      });
      expect(res.status).toBe(202);
    });
  });
});

describe('when the status is one we do not know', () => {
  it('stores the event and flags it for attention, never a 500', async () => {
    const res = await sendYs(h.system, withStatus(ysOrder(), 'PICKED_UP_BY_DRONE'));
    expect(res.status).toBe(202);
    const { eventId } = (await res.json()) as { eventId: string };
    const event = await finishedEvent(h.system, eventId);
    expect(event.status).toBe('attention');
    expect(event.outcome).toContain('unknown Yemeksepeti status PICKED_UP_BY_DRONE');
  });
});
