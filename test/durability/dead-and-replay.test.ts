import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markEvents } from '../../src/inbox/repository.js';
import { sweepInbox } from '../../src/inbox/sweeper.js';
import { createLogger } from '../../src/lib/logger.js';
import { startTestSystem, type TestSystem, usingPostgres, waitFor } from '../support/system.js';
import { manualOrder, postOrder } from './helpers.js';

const ATTEMPTS = 3;

interface EventDto {
  id: string;
  status: string;
  attempts: number;
  lastError: string | null;
  outcome: string | null;
  processedAt: string | null;
}

describe('dead events and replay', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ env: { INBOX_ATTEMPTS: String(ATTEMPTS) } });
  });
  afterAll(async () => {
    await system?.stop();
  });

  const event = async (id: string): Promise<EventDto> => {
    const res = await system.admin(`/admin/events/${id}`);
    expect(res.status).toBe(200);
    return (await res.json()) as EventDto;
  };
  const settled = (id: string, status: string) =>
    waitFor(async () => {
      const e = await event(id);
      return e.status === status ? e : undefined;
    });
  const jobOf = async (id: string) => {
    const job = await system.process.services.queues.inbox.getJob(id);
    if (!job) throw new Error(`no job ${id}`);
    return { state: await job.getState(), attemptsMade: job.attemptsMade };
  };
  const replay = (id: string) => system.admin(`/admin/events/${id}/replay`, { method: 'POST' });
  /** An event stored through ingest, which the workers then enqueue: for payloads no route would accept. */
  const storeAndEnqueue = async (source: string, payload: unknown): Promise<string> => {
    const { eventId } = await system.process.services.ctx.ingest({
      source,
      dedupKey: `direct-${Math.random()}`,
      eventType: 'order.create',
      payload,
    });
    return eventId;
  };

  describe('when a stored event has a payload its handler cannot parse', () => {
    it('is dead after one attempt with the validation error, and stays dead when replayed', async () => {
      const id = await storeAndEnqueue('manual', { externalOrderId: '', currency: 'EURO', items: [] });
      const dead = await settled(id, 'dead');
      expect(dead.attempts).toBe(1);
      expect(dead.lastError).toContain('externalOrderId');
      expect(await jobOf(id)).toEqual({ state: 'failed', attemptsMade: 1 });

      const res = await replay(id);
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ eventId: id, status: 'received', enqueued: true });
      await waitFor(async () => (await jobOf(id)).state === 'failed');
      expect(await event(id)).toMatchObject({ status: 'dead', attempts: 1 });
    });
  });

  describe('when no integration handles the event source', () => {
    it('is dead at once, naming the source', async () => {
      const id = await storeAndEnqueue('nobody-handles-this', { any: 'thing' });
      const dead = await settled(id, 'dead');
      expect(dead).toMatchObject({
        attempts: 1,
        lastError: 'no integration handles source nobody-handles-this',
      });
    });
  });

  describe('when a manual order names a warehouse that does not exist', () => {
    let eventId: string;

    it('needs attention after one attempt, naming the warehouse, and creates no order', async () => {
      const res = await postOrder(
        system.baseUrl,
        manualOrder('wh-missing-1', { warehouse: 'WH-NOWHERE' }),
        'idem-wh-missing-1',
      );
      expect(res.status).toBe(202);
      eventId = ((await res.json()) as { eventId: string }).eventId;
      const attention = await settled(eventId, 'attention');
      expect(attention.attempts).toBe(1);
      expect(attention.outcome).toContain('WH-NOWHERE');
      const listed = await system.admin('/admin/events?status=attention');
      const body = (await listed.json()) as { data: { id: string }[] };
      expect(body.data.map((e) => e.id)).toContain(eventId);
      expect(
        await system.db.selectFrom('orders').where('external_order_id', '=', 'wh-missing-1').execute(),
      ).toEqual([]);
    });

    it('is processed when replayed after the warehouse exists, into exactly one order', async () => {
      await system.db
        .insertInto('warehouses')
        .values({ code: 'WH-NOWHERE', category: 'grocery', name: 'Found at last' })
        .execute();
      await system.db
        .insertInto('stock_levels')
        .values({ warehouse_code: 'WH-NOWHERE', sku: 'SKU-1', on_hand: 5 })
        .execute();

      const res = await replay(eventId);
      expect(res.status).toBe(202);
      const processed = await settled(eventId, 'processed');
      expect(processed.attempts).toBe(1);
      const orders = await system.db
        .selectFrom('orders')
        .select(['warehouse_code'])
        .where('external_order_id', '=', 'wh-missing-1')
        .execute();
      expect(orders).toEqual([{ warehouse_code: 'WH-NOWHERE' }]);
    });

    it('refuses to replay it again once processed (409 in the error envelope)', async () => {
      const res = await replay(eventId);
      expect(res.status).toBe(409);
      const body = (await res.json()) as { error: { code: string; message: string; requestId: string } };
      expect(body.error).toMatchObject({ code: 'conflict' });
      expect(body.error.requestId).toBeTruthy();
      expect((await event(eventId)).status).toBe('processed');
    });
  });

  /**
   * Real Postgres failures on the real path: a trigger on `orders` raises the given SQLSTATE for one external
   * order id, until the test drops it.
   */
  const refuseOrder = async (externalOrderId: string, sqlState: string) => {
    const name = `og_test_refuse_${sqlState.toLowerCase()}`;
    await sql
      .raw(`
        create or replace function ${name}() returns trigger language plpgsql as $$
        begin
          raise exception 'simulated % for %', '${sqlState}', new.external_order_id using errcode = '${sqlState}';
        end $$`)
      .execute(system.db);
    await sql
      .raw(`
        create trigger ${name} before insert on orders for each row
        when (new.external_order_id = '${externalOrderId}') execute function ${name}()`)
      .execute(system.db);
    return () => sql.raw(`drop trigger ${name} on orders`).execute(system.db);
  };

  describe('when the database rejects the order data (an integrity violation)', () => {
    it('is dead after one attempt with the database error, then processed when replayed after the fix', async () => {
      const fix = await refuseOrder('integrity-1', '23503');
      const res = await postOrder(system.baseUrl, manualOrder('integrity-1'), 'idem-integrity-1');
      const eventId = ((await res.json()) as { eventId: string }).eventId;
      const dead = await settled(eventId, 'dead');
      expect(dead.attempts).toBe(1);
      expect(dead.lastError).toContain('simulated 23503 for integrity-1');
      expect(await jobOf(eventId)).toEqual({ state: 'failed', attemptsMade: 1 });

      await fix();
      expect((await replay(eventId)).status).toBe(202);
      expect((await settled(eventId, 'processed')).attempts).toBe(1);
    });
  });

  describe('when the database keeps failing an order with an error a retry could fix', () => {
    let eventId: string;
    let fix: () => Promise<unknown>;

    it('is retried until its attempts are exhausted, then dead with the last error', async () => {
      fix = await refuseOrder('flaky-1', '40001');
      const res = await postOrder(system.baseUrl, manualOrder('flaky-1'), 'idem-flaky-1');
      expect(res.status).toBe(202);
      eventId = ((await res.json()) as { eventId: string }).eventId;
      const dead = await settled(eventId, 'dead');
      expect(dead.attempts).toBe(ATTEMPTS);
      expect(dead.lastError).toContain('simulated 40001 for flaky-1');
      expect(await jobOf(eventId)).toEqual({ state: 'failed', attemptsMade: ATTEMPTS });
    });

    it('is processed when replayed after the cause is gone', async () => {
      await fix();
      const res = await replay(eventId);
      expect(res.status).toBe(202);
      const processed = await settled(eventId, 'processed');
      expect(processed.attempts).toBe(1);
      const orders = await system.db
        .selectFrom('orders')
        .where('external_order_id', '=', 'flaky-1')
        .execute();
      expect(orders).toHaveLength(1);
    });
  });

  /** A dead event whose cause is gone: an integrity violation for `externalOrderId`, then the fix. */
  const deadThenFixed = async (externalOrderId: string): Promise<string> => {
    const fix = await refuseOrder(externalOrderId, '23503');
    const res = await postOrder(system.baseUrl, manualOrder(externalOrderId), `idem-${externalOrderId}`);
    const eventId = ((await res.json()) as { eventId: string }).eventId;
    await settled(eventId, 'dead');
    await waitFor(async () => ((await jobOf(eventId)).state === 'failed' ? true : undefined));
    await fix();
    return eventId;
  };
  const ordersOf = (externalOrderId: string) =>
    system.db
      .selectFrom('orders')
      .select(['id', 'status'])
      .where('external_order_id', '=', externalOrderId)
      .execute();

  describe('when several replays of the same dead event arrive at once', () => {
    it('answers each with 202 or 409 and processes the event into exactly one order', async () => {
      const eventId = await deadThenFixed('replay-race-1');
      const answers = await Promise.all([1, 2, 3, 4].map(() => replay(eventId)));
      const statuses = answers.map((r) => r.status);
      expect(statuses.every((s) => s === 202 || s === 409)).toBe(true);
      expect(statuses).toContain(202);
      const processed = await settled(eventId, 'processed');
      expect(processed.attempts).toBe(1);
      await waitFor(async () => ((await jobOf(eventId)).state === 'completed' ? true : undefined));
      const orders = await ordersOf('replay-race-1');
      expect(orders).toHaveLength(1);
      const created = await system.db
        .selectFrom('order_events')
        .select('type')
        .where('order_id', '=', orders[0]?.id ?? '')
        .where('type', '=', 'created')
        .execute();
      expect(created).toHaveLength(1);
      // Processed once: no late reset or second run from a replay that lost the race.
      await new Promise((r) => setTimeout(r, 300));
      expect(await event(eventId)).toMatchObject({ status: 'processed', processedAt: processed.processedAt });
    });
  });

  // Two connections at once: PGlite has one, so this runs on Postgres only.
  describe.skipIf(!usingPostgres)('when a worker is settling the event as the replay arrives', () => {
    it('waits for the settlement to commit, then answers 409 and the event stays processed', async () => {
      const eventId = await deadThenFixed('replay-settling-1');
      let locked = () => {};
      const isLocked = new Promise<void>((resolve) => {
        locked = resolve;
      });
      let release = () => {};
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      // A worker settling a dashboard retry of the failed job: until its commit it holds the row's lock, the
      // row marked processed.
      const settlement = system.db.transaction().execute(async (trx) => {
        await markEvents(trx, [{ id: eventId, status: 'processed', outcome: 'settled while replayed' }]);
        locked();
        await released;
      });
      await isLocked;
      const replayed = replay(eventId);
      const early = await Promise.race([
        replayed.then(() => 'answered'),
        new Promise((r) => setTimeout(() => r('waiting'), 300)),
      ]);
      expect(early).toBe('waiting');
      release();
      await settlement;
      const res = await replayed;
      expect(res.status).toBe(409);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('conflict');
      const settled = await event(eventId);
      expect(settled).toMatchObject({ status: 'processed', outcome: 'settled while replayed' });
      expect(await ordersOf('replay-settling-1')).toHaveLength(0);
    });
  });

  describe('when an event is replayed while the sweeper is settling its failed job', () => {
    it('the sweeper leaves the replayed event alone and it is processed into one order', async () => {
      const eventId = await deadThenFixed('replay-sweep-1');
      // The worker's last write was lost: the job failed for good, the row still says failed.
      await system.db
        .updateTable('inbound_events')
        .set({ status: 'failed' })
        .where('id', '=', eventId)
        .execute();
      const queue = system.process.services.queues.inbox;
      let replayed = false;
      // The real queue, with the replay run between the sweeper's look at the failed job and its write.
      const interleaved = new Proxy(queue, {
        get(target, prop) {
          if (prop !== 'getJob') return Reflect.get(target, prop, target);
          return async (id: string) => {
            const job = await target.getJob(id);
            if (!job || replayed) return job;
            return new Proxy(job, {
              get(j, p) {
                if (p !== 'getState') return Reflect.get(j, p, j);
                return async () => {
                  const state = await j.getState();
                  replayed = true;
                  expect((await replay(id)).status).toBe(202);
                  await settled(id, 'processed');
                  return state;
                };
              },
            });
          };
        },
      });
      const swept = await sweepInbox(system.db, interleaved, createLogger('silent'), 0);
      expect(replayed).toBe(true);
      expect(swept.markedDead).toBe(0);
      expect(await event(eventId)).toMatchObject({ status: 'processed', attempts: 1 });
      expect(await ordersOf('replay-sweep-1')).toHaveLength(1);
    });
  });

  describe('when Redis no longer keeps the failed job of a dead event', () => {
    it('replays it from its row alone into one order', async () => {
      const eventId = await deadThenFixed('replay-no-job-1');
      expect(await system.process.services.queues.inbox.remove(eventId)).toBe(1);
      const res = await replay(eventId);
      expect(res.status).toBe(202);
      expect((await settled(eventId, 'processed')).attempts).toBe(1);
      expect(await ordersOf('replay-no-job-1')).toHaveLength(1);
    });
  });

  // PGlite runs pg_sleep on the test's own thread, which would stop the gateway too: Postgres only.
  describe.skipIf(!usingPostgres)('when a replay arrives while a worker is processing the event', () => {
    it('answers 409 and the event is processed once', async () => {
      const eventId = await deadThenFixed('replay-busy-1');
      // The next insert of this order takes 1.5 s, so the replayed job is active for that long.
      await sql
        .raw(`
          create function og_test_slow_order() returns trigger language plpgsql as $$
          begin perform pg_sleep(1.5); return new; end $$`)
        .execute(system.db);
      await sql
        .raw(`
          create trigger og_test_slow_order before insert on orders for each row
          when (new.external_order_id = 'replay-busy-1') execute function og_test_slow_order()`)
        .execute(system.db);
      try {
        expect((await replay(eventId)).status).toBe(202);
        await waitFor(async () => ((await jobOf(eventId)).state === 'active' ? true : undefined));
        const second = await replay(eventId);
        expect(second.status).toBe(409);
        expect(((await second.json()) as { error: { code: string; message: string } }).error).toMatchObject({
          code: 'conflict',
          message: 'event is being processed right now',
        });
        expect((await settled(eventId, 'processed')).attempts).toBe(1);
        expect(await ordersOf('replay-busy-1')).toHaveLength(1);
      } finally {
        await sql.raw('drop trigger og_test_slow_order on orders').execute(system.db);
        await sql.raw('drop function og_test_slow_order()').execute(system.db);
      }
    });
  });

  describe('when the event to replay does not exist', () => {
    it('answers 404 in the error envelope', async () => {
      const res = await replay('7b0e7a52-5a6c-4d43-9f43-3c8a9d1f0c11');
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
    });
  });
});
