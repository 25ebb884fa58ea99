import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/lib/logger.js';
import { QUEUE_NAMES } from '../../src/queues/index.js';
import { createRedisConnection, resolveRedis } from '../../src/redis/connection.js';
import {
  clearQueues,
  createTestDatabase,
  postJson,
  TEST_ADMIN_TOKEN,
  type TestDatabase,
} from '../support/system.js';

export function manualOrder(externalOrderId: string, extra: Record<string, unknown> = {}) {
  return {
    externalOrderId,
    currency: 'EUR',
    customer: { externalId: `cust-${externalOrderId}` },
    items: [{ sku: 'SKU-1', name: 'Tea', quantity: 1, unitPrice: 1_250 }],
    ...extra,
  };
}

export function postOrder(
  baseUrl: string,
  order: ReturnType<typeof manualOrder>,
  idempotencyKey = `key-${order.externalOrderId}`,
  token = TEST_ADMIN_TOKEN,
): Promise<Response> {
  return postJson(`${baseUrl}/api/orders`, order, {
    authorization: `Bearer ${token}`,
    'idempotency-key': idempotencyKey,
  });
}

export interface AdminEvent {
  id: string;
  status: string;
  attempts: number;
  lastError: string | null;
  externalOrderId: string | null;
}

export async function adminGet<T>(baseUrl: string, pathname: string, token = TEST_ADMIN_TOKEN): Promise<T> {
  const res = await fetch(`${baseUrl}${pathname}`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`GET ${pathname} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

/** Every inbox event and every manual order the admin API reports (at most 200 of each). */
export async function inboxAndOrders(baseUrl: string, token = TEST_ADMIN_TOKEN) {
  const events = await adminGet<{ data: AdminEvent[]; total: number }>(
    baseUrl,
    '/admin/events?limit=200',
    token,
  );
  const orders = await adminGet<{ data: { id: string; externalOrderId: string }[]; total: number }>(
    baseUrl,
    '/admin/orders?channel=manual&limit=200',
    token,
  );
  return { events: events.data, orders: orders.data, eventTotal: events.total, orderTotal: orders.total };
}

/**
 * What a child process of the product needs: its own database (a fresh Postgres database, or a PGlite data
 * dir under a temp DATA_DIR), its own queue prefix, and fast sweeps so recovery is observable quickly.
 */
export interface ProductEnvironment {
  env: Record<string, string | undefined>;
  dataDir: string;
  prefix: string;
  cleanup(): Promise<void>;
}

export async function productEnvironment(
  kind: 'pg' | 'pglite',
  overrides: Record<string, string> = {},
): Promise<ProductEnvironment> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ordergate-durability-'));
  let database: TestDatabase | undefined;
  if (kind === 'pg') {
    database = await createTestDatabase('pg');
    // The child migrates and uses it; the test only needs the name.
    await database.handle.close();
  }
  const prefix = `{og-dur-${randomUUID().slice(0, 8)}}`;
  const env: Record<string, string | undefined> = {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'info',
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    DATA_DIR: dataDir,
    QUEUE_PREFIX: prefix,
    DATABASE_URL: database?.url,
    REDIS_URL: process.env.REDIS_URL,
    BACKOFF_BASE_MS: '50',
    SWEEP_AFTER_MS: '1000',
    SWEEP_INTERVAL_MS: '500',
    OUTBOX_POLL_MS: '100',
    // A job whose worker was SIGKILLed returns to the queue after lock + stalled interval (30 s + 30 s by
    // default); shorter here so a crash test does not wait a minute for the same mechanism.
    WORKER_LOCK_MS: '4000',
    WORKER_STALLED_INTERVAL_MS: '2000',
    ...overrides,
  };
  return {
    env,
    dataDir,
    prefix,
    cleanup: async () => {
      await clearQueues(
        loadConfig({ DATA_DIR: dataDir, QUEUE_PREFIX: prefix, REDIS_URL: process.env.REDIS_URL }),
      );
      if (database) {
        const { default: pg } = await import('pg');
        const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
        await client.connect();
        await client.query(
          `drop database if exists "${new URL(database.url ?? '').pathname.slice(1)}" with (force)`,
        );
        await client.end();
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The inbox queue of a prefix, read straight from Redis (the product's own connection settings). */
export async function openInboxQueue(prefix: string): Promise<{ queue: Queue; close(): Promise<void> }> {
  const redis = await resolveRedis({
    redisUrl: process.env.REDIS_URL,
    dataDir: os.tmpdir(),
    logger: createLogger('silent'),
  });
  const connection = createRedisConnection(redis.url, { forWorker: true });
  const queue = new Queue(QUEUE_NAMES.inbox, { connection, prefix });
  return {
    queue,
    close: async () => {
      await queue.close();
      connection.disconnect();
      await redis.stop();
    },
  };
}
