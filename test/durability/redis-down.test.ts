import os from 'node:os';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/lib/logger.js';
import { type RunningProcess, startProcess } from '../../src/process.js';
import { resolveRedis } from '../../src/redis/connection.js';
import { clearQueues, startTestSystem, type TestSystem, waitFor } from '../support/system.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { manualOrder, openInboxQueue, postOrder } from './helpers.js';

/** The Redis the tests would use anyway: REDIS_URL, else the local server the product would pick. */
async function realRedisUrl(): Promise<string> {
  const redis = await resolveRedis({
    redisUrl: process.env.REDIS_URL,
    dataDir: os.tmpdir(),
    logger: createLogger('silent'),
  });
  if (redis.embedded) {
    await redis.stop();
    throw new Error('these tests need a Redis that outlives one process: set REDIS_URL or run one on 6379');
  }
  return redis.url;
}

async function acceptedEventId(res: Response): Promise<string> {
  expect(res.status).toBe(202);
  return ((await res.json()) as { eventId: string }).eventId;
}

async function waitProcessed(system: TestSystem, eventIds: string[]): Promise<void> {
  await waitFor(async () => {
    const rows = await system.db
      .selectFrom('inbound_events')
      .select('status')
      .where('id', 'in', eventIds)
      .where('status', '=', 'processed')
      .execute();
    return rows.length === eventIds.length;
  }, 30_000);
}

async function ordersFor(system: TestSystem, externalOrderIds: string[]): Promise<string[]> {
  const rows = await system.db
    .selectFrom('orders')
    .select('external_order_id')
    .where('external_order_id', 'in', externalOrderIds)
    .execute();
  return rows.map((r) => r.external_order_id).sort();
}

/**
 * The product talks to Redis through a TCP proxy the test controls; the test reads the real Redis directly.
 */
describe('when Redis fails after the event is stored', () => {
  let redisUrl: string;
  let proxy: TcpProxy;
  let system: TestSystem;
  let inbox: Awaited<ReturnType<typeof openInboxQueue>>;

  beforeAll(async () => {
    redisUrl = await realRedisUrl();
    const target = new URL(redisUrl);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    system = await startTestSystem({ env: { REDIS_URL: proxy.url(redisUrl) } });
    inbox = await openInboxQueue(system.config.QUEUE_PREFIX);
  });
  afterEach(() => proxy.restore());
  afterAll(async () => {
    proxy?.restore();
    await inbox?.close();
    await system?.stop();
    await proxy?.close();
  });

  describe('because Redis refuses connections', () => {
    it('still answers 202, and the event gets its job once Redis is back', async () => {
      proxy.refuse();
      const eventId = await acceptedEventId(await postOrder(system.baseUrl, manualOrder('redis-refused-1')));
      const row = await system.db
        .selectFrom('inbound_events')
        .select('status')
        .where('id', '=', eventId)
        .executeTakeFirstOrThrow();
      expect(row.status).toBe('received');
      expect(await inbox.queue.getJob(eventId)).toBeUndefined();

      proxy.restore();
      await waitProcessed(system, [eventId]);
      expect(await ordersFor(system, ['redis-refused-1'])).toEqual(['redis-refused-1']);
      // The job that did the work has the inbox row's id (the workers' enqueuer retries until Redis answers).
      await waitFor(async () => (await (await inbox.queue.getJob(eventId))?.getState()) === 'completed');
    });
  });

  describe('because Redis stops answering', () => {
    it('answers 202 without waiting for Redis, and the event is processed exactly once later', async () => {
      proxy.hang();
      const eventId = await acceptedEventId(await postOrder(system.baseUrl, manualOrder('redis-hung-1')));
      proxy.restore();
      await waitProcessed(system, [eventId]);
      expect(await ordersFor(system, ['redis-hung-1'])).toEqual(['redis-hung-1']);
    });
  });

  describe('while an operator replays an event', () => {
    const rowOf = (eventId: string) =>
      system.db
        .selectFrom('inbound_events')
        .select(['status', 'attempts', 'outcome'])
        .where('id', '=', eventId)
        .executeTakeFirstOrThrow();
    /** An event that needs attention (its warehouse is missing): replayable. */
    const attentionEvent = async (externalOrderId: string, warehouse: string) => {
      const res = await postOrder(system.baseUrl, manualOrder(externalOrderId, { warehouse }));
      const eventId = await acceptedEventId(res);
      await waitFor(async () => (await rowOf(eventId)).status === 'attention', 30_000);
      return eventId;
    };
    const replay = (eventId: string) => system.admin(`/admin/events/${eventId}/replay`, { method: 'POST' });

    for (const [fault, cause] of [
      ['refuse', 'refuses connections'],
      ['hang', 'stops answering'],
    ] as const) {
      it(`answers 503 in the envelope when Redis ${cause}, changes nothing, and replays once Redis is back`, async () => {
        const externalOrderId = `redis-replay-${fault}`;
        const warehouse = `WH-REPLAY-${fault.toUpperCase()}`;
        const eventId = await attentionEvent(externalOrderId, warehouse);
        const before = await rowOf(eventId);

        proxy[fault]();
        const res = await replay(eventId);
        expect(res.status).toBe(503);
        const body = (await res.json()) as { error: { code: string; message: string } };
        expect(body.error.code).toBe('unavailable');
        expect(body.error.message).toContain('nothing was changed');
        expect(await rowOf(eventId)).toEqual(before);

        proxy.restore();
        await system.db
          .insertInto('warehouses')
          .values({ code: warehouse, category: 'grocery', name: 'Back' })
          .execute();
        await system.db
          .insertInto('stock_levels')
          .values({ warehouse_code: warehouse, sku: 'SKU-1', on_hand: 5 })
          .execute();
        await waitFor(async () => {
          const again = await replay(eventId);
          return again.status === 202 ? again : undefined;
        }, 30_000);
        await waitProcessed(system, [eventId]);
        expect(await ordersFor(system, [externalOrderId])).toEqual([externalOrderId]);
      });
    }
  });

  describe('because Redis lost all its data while the product kept running', () => {
    it('re-enqueues the unprocessed events, although the sweep schedule itself was lost too', async () => {
      proxy.refuse();
      const ids = ['redis-lost-1', 'redis-lost-2'];
      const eventIds = await Promise.all(
        ids.map(async (id) => acceptedEventId(await postOrder(system.baseUrl, manualOrder(id)))),
      );
      // Everything under the prefix: queued jobs, the sweeper's job scheduler, the stalled-check keys.
      await clearQueues({ ...system.config, REDIS_URL: redisUrl });
      proxy.restore();
      await waitProcessed(system, eventIds);
      expect(await ordersFor(system, ids)).toEqual(ids);
    });
  });
});

describe('when events are stored while no worker runs', () => {
  let system: TestSystem;
  let workers: RunningProcess | undefined;
  beforeAll(async () => {
    system = await startTestSystem({ worker: false });
  });
  afterAll(async () => {
    await workers?.stop();
    await system?.stop();
  });

  it('a worker that starts enqueues every one at once, without waiting for the sweeper', async () => {
    const ids = ['no-worker-1', 'no-worker-2', 'no-worker-3'];
    const eventIds = await Promise.all(
      ids.map(async (id) => acceptedEventId(await postOrder(system.baseUrl, manualOrder(id)))),
    );
    // The gateway never talks to Redis for a push: the rows are the record, and nothing is queued yet.
    const inbox = await openInboxQueue(system.config.QUEUE_PREFIX);
    try {
      expect(await inbox.queue.getWaitingCount()).toBe(0);
    } finally {
      await inbox.close();
    }

    // The gateway-only process stops; gateway and workers start on the same database and queue prefix.
    await system.stopProcess();
    // A sweep an hour away: only the starting worker's catch-up can enqueue them in time.
    const config = { ...system.config, SWEEP_INTERVAL_MS: 3_600_000 };
    workers = await startProcess(config, createLogger('silent'), { web: true, worker: true });
    const db = workers.services.database.db;
    await waitFor(async () => {
      const rows = await db
        .selectFrom('inbound_events')
        .select('id')
        .where('id', 'in', eventIds)
        .where('status', '=', 'processed')
        .execute();
      return rows.length === eventIds.length;
    }, 30_000);
    const orders = await db
      .selectFrom('orders')
      .select('external_order_id')
      .orderBy('external_order_id')
      .execute();
    expect(orders.map((o) => o.external_order_id)).toEqual(ids);
  });
});
