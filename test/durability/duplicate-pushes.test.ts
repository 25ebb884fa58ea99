import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSystem, type TestSystem, waitFor } from '../support/system.js';
import { manualOrder, postOrder } from './helpers.js';

const PUSHES = 20;

describe('when the same order is pushed 20 times at once with one Idempotency-Key', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('acknowledges it once with 202 and answers every other push 200 duplicate with the same eventId', async () => {
    const order = manualOrder('dup-1');
    const responses = await Promise.all(
      Array.from({ length: PUSHES }, () => postOrder(system.baseUrl, order, 'idem-dup-0001')),
    );
    const bodies = await Promise.all(
      responses.map(async (res) => ({
        status: res.status,
        body: (await res.json()) as { eventId: string; duplicate?: boolean },
      })),
    );
    const accepted = bodies.filter((b) => b.status === 202);
    const duplicates = bodies.filter((b) => b.status === 200);
    expect(accepted).toHaveLength(1);
    expect(duplicates).toHaveLength(PUSHES - 1);
    const eventId = accepted[0]?.body.eventId;
    expect(eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(accepted[0]?.body).toEqual({ eventId });
    for (const d of duplicates) expect(d.body).toEqual({ eventId, duplicate: true });

    await waitFor(async () => {
      const row = await system.db
        .selectFrom('inbound_events')
        .select('status')
        .where('id', '=', eventId ?? '')
        .executeTakeFirst();
      return row?.status === 'processed';
    });
    const rows = await system.db.selectFrom('inbound_events').select(['id', 'attempts']).execute();
    expect(rows).toEqual([{ id: eventId, attempts: 1 }]);
    const orders = await system.db.selectFrom('orders').select(['external_order_id']).execute();
    expect(orders).toEqual([{ external_order_id: 'dup-1' }]);
  });

  it('answers a late push of the same key, after processing, 200 duplicate too', async () => {
    const first = await system.db.selectFrom('inbound_events').select('id').executeTakeFirstOrThrow();
    const res = await postOrder(system.baseUrl, manualOrder('dup-1'), 'idem-dup-0001');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ eventId: first.id, duplicate: true });
    const count = await system.db
      .selectFrom('inbound_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1);
  });
});
