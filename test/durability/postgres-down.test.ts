import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  startTestSystem,
  type TestDatabase,
  type TestSystem,
  usingPostgres,
  waitFor,
} from '../support/system.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { manualOrder, postOrder } from './helpers.js';

interface Envelope {
  error: { code: string; message: string; requestId: string };
}

/**
 * The gateway reaches its database through a TCP proxy the test controls (and, in the second case, the
 * server itself refuses the database), so Postgres really is unreachable for it; the test checks the outcome
 * through its own direct connection.
 */
describe.skipIf(!usingPostgres)('when Postgres cannot be reached', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let system: TestSystem;
  const direct = () => database.handle.db;

  beforeAll(async () => {
    database = await createTestDatabase('pg');
    const target = new URL(database.url ?? '');
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    system = await startTestSystem({ env: { DATABASE_URL: proxy.url(database.url ?? '') } });
  });
  afterAll(async () => {
    proxy?.restore();
    await system?.stop();
    await proxy?.close();
    await database?.drop();
  });

  const rowsFor = (externalOrderId: string) =>
    Promise.all([
      direct()
        .selectFrom('inbound_events')
        .select('id')
        .where('external_order_id', '=', externalOrderId)
        .execute(),
      direct().selectFrom('orders').select('id').where('external_order_id', '=', externalOrderId).execute(),
    ]);

  const expectUnavailable = async (res: Response) => {
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    const body = (await res.json()) as Envelope;
    expect(body.error.code).toBe('unavailable');
    expect(body.error.message).toMatch(/retry later/);
    expect(body.error.requestId).toBe(res.headers.get('x-request-id'));
  };

  /** After recovery the same request is a new event (nothing of the refused one was stored) and is processed. */
  const expectStoredOnlyAfterRecovery = async (externalOrderId: string) => {
    expect(await rowsFor(externalOrderId)).toEqual([[], []]);
    const again = await postOrder(system.baseUrl, manualOrder(externalOrderId));
    expect(again.status).toBe(202);
    const { eventId } = (await again.json()) as { eventId: string };
    await waitFor(async () => {
      const row = await direct()
        .selectFrom('inbound_events')
        .select('status')
        .where('id', '=', eventId)
        .executeTakeFirst();
      return row?.status === 'processed';
    });
    const [events, orders] = await rowsFor(externalOrderId);
    expect(events).toEqual([{ id: eventId }]);
    expect(orders).toHaveLength(1);
  };

  it('accepts orders while it is reachable', async () => {
    const res = await postOrder(system.baseUrl, manualOrder('pg-before'));
    expect(res.status).toBe(202);
  });

  describe('because the network to it is gone', () => {
    it('answers 503 with Retry-After in the error envelope and stores nothing', async () => {
      proxy.refuse();
      try {
        await expectUnavailable(await postOrder(system.baseUrl, manualOrder('pg-refused-1')));
        await expectUnavailable(await postOrder(system.baseUrl, manualOrder('pg-refused-1')));
      } finally {
        proxy.restore();
      }
      await expectStoredOnlyAfterRecovery('pg-refused-1');
    });
  });

  describe('because the server refuses connections to the database', () => {
    const setAllowConnections = async (allow: boolean) => {
      const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await admin.connect();
      const name = new URL(database.url ?? '').pathname.slice(1);
      try {
        await admin.query(`alter database "${name}" allow_connections ${allow}`);
        if (!allow) {
          await admin.query(
            'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
            [name],
          );
        }
      } finally {
        await admin.end();
      }
    };

    it('answers 503 with Retry-After in the error envelope and stores nothing', async () => {
      await setAllowConnections(false);
      try {
        await expectUnavailable(await postOrder(system.baseUrl, manualOrder('pg-closed-1')));
        await expectUnavailable(await postOrder(system.baseUrl, manualOrder('pg-closed-1')));
      } finally {
        await setAllowConnections(true);
      }
      // The test's own pooled connections were terminated too; a fresh query reconnects.
      await waitFor(
        async () => (await direct().selectFrom('orders').select('id').limit(1).execute()) !== undefined,
      );
      await expectStoredOnlyAfterRecovery('pg-closed-1');
    });
  });
});
