import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import {
  DELIVERY_REQUESTED,
  deliveryRequestedProcessor,
  deliveryRequestedPublisher,
} from '../../src/integrations/delivery/outbound.js';
import type { Publisher, WorkerContext } from '../../src/integrations/types.js';
import { createLogger } from '../../src/lib/logger.js';
import { enqueueOutbox } from '../../src/orders/outbox.js';
import { RELAY_ENQUEUE_TIMEOUT_MS, relayOutboxOnce, startOutboxRelay } from '../../src/outbox/relay.js';
import { createQueues, type Queues } from '../../src/queues/index.js';
import { createRedisConnection, type ResolvedRedis, resolveRedis } from '../../src/redis/connection.js';
import { createTestDatabase, type TestDatabase, waitFor } from '../support/system.js';
import { startTcpProxy } from '../support/tcp-proxy.js';

const logger = createLogger('silent');
const TOPIC = 'test.noted';
/** A topic the relay settles itself, "not sent", so the tests watch the relay and nothing else. */
const publishers = new Map<string, Publisher>([[TOPIC, () => ({ sent: false, message: 'noted' })]]);

let database: TestDatabase;
let redis: ResolvedRedis;
let connection: Redis;
let queues: Queues;
let dataDir: string;
const config = loadConfig({ QUEUE_PREFIX: `{og-test-relay-${randomUUID().slice(0, 8)}}` });

beforeAll(async () => {
  database = await createTestDatabase();
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'ordergate-relay-'));
  redis = await resolveRedis({ redisUrl: process.env.REDIS_URL, dataDir, logger });
  connection = createRedisConnection(redis.url);
  queues = createQueues(connection, config);
});

afterAll(async () => {
  await queues?.close();
  connection?.disconnect();
  await redis?.stop();
  await database?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

const statusOf = async (id: number) =>
  (
    await database.handle.db
      .selectFrom('outbox')
      .select('status')
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
  ).status;

/** A relay that would poll once a minute: anything faster is the nudge's doing. */
const slowRelay = () => startOutboxRelay(database.handle.db, { config, queues, publishers }, logger, 60_000);

describe('when a command nudges a relay that polls rarely', () => {
  it('relays the new row soon, and again for a row written later (one pass per gap at most)', async () => {
    const relay = slowRelay();
    try {
      for (const n of [1, 2]) {
        const id = await enqueueOutbox(database.handle.db, { topic: TOPIC, payload: { n } });
        relay.nudge();
        expect(await waitFor(async () => (await statusOf(id)) === 'delivered', 5_000)).toBe(true);
      }
    } finally {
      await relay.stop();
    }
  });
});

describe('when the relay stops right after a nudge', () => {
  it('relays the announced row before it stops', async () => {
    const relay = slowRelay();
    // The first pass (at start) is over once a nudge finds the relay waiting.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const id = await enqueueOutbox(database.handle.db, { topic: TOPIC, payload: { last: true } });
    relay.nudge();
    await relay.stop();
    expect(await statusOf(id)).toBe('delivered');
  });
});

describe('when nobody nudges', () => {
  it('leaves a row written after the first pass for the next poll', async () => {
    const relay = slowRelay();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const id = await enqueueOutbox(database.handle.db, { topic: TOPIC, payload: { quiet: true } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await relay.stop();
    expect(await statusOf(id)).toBe('pending');
  });
});

describe('delivery.requested without DELIVERY_WEBHOOK_URL', () => {
  const message = { outboxId: 1, orderId: randomUUID(), payload: { orderId: randomUUID() } };

  it('is settled by the relay, not sent: the publisher says why', () => {
    expect(deliveryRequestedPublisher({ config, queues }, message)).toEqual({
      sent: false,
      message: 'DELIVERY_WEBHOOK_URL is not configured',
    });
  });

  it('goes to its outbound job once the URL is set', () => {
    const configured = { ...config, DELIVERY_WEBHOOK_URL: 'http://127.0.0.1:1/deliveries' };
    expect(deliveryRequestedPublisher({ config: configured, queues }, message)).toBeUndefined();
  });

  it('refuses a payload without an order id (the relay settles the row dead)', () => {
    expect(() => deliveryRequestedPublisher({ config, queues }, { ...message, payload: {} })).toThrow();
  });

  it('still completes "not sent" when a job reaches the outbound worker (enqueued before the URL was unset)', async () => {
    const ctx: WorkerContext = {
      config,
      db: database.handle.db,
      queues,
      logger,
      ingest: () => Promise.reject(new Error('not used')),
    };
    const job = {
      outboxId: 1,
      topic: DELIVERY_REQUESTED,
      orderId: message.orderId,
      payload: message.payload,
    };
    const bullJob = await queues.outbound.add(DELIVERY_REQUESTED, job, {
      jobId: `relay-test-${randomUUID()}`,
    });
    expect(await deliveryRequestedProcessor(ctx, job, bullJob)).toEqual({
      sent: false,
      message: 'DELIVERY_WEBHOOK_URL is not configured',
    });
    await bullJob.remove();
  });
});

/** Queues whose Redis connection goes through a TCP proxy the test can hang; `close` restores and closes. */
async function throughProxy() {
  const target = new URL(redis.url);
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
  const proxied = createRedisConnection(proxy.url(redis.url));
  const proxiedQueues = createQueues(proxied, config);
  await proxiedQueues.subscriberEvents.waitUntilReady();
  return {
    proxy,
    proxiedQueues,
    close: async () => {
      proxy.restore();
      await proxiedQueues.close();
      proxied.disconnect();
      await proxy.close();
    },
  };
}

describe('when Redis stops answering while a pass holds its claim', () => {
  it('fails the pass after the enqueue timeout, leaves the row pending, and relays it once Redis is back', async () => {
    const { proxy, proxiedQueues, close } = await throughProxy();
    const topic = 'test.published';
    const jobId = `relay-hang-${randomUUID()}`;
    const publishing = new Map<string, Publisher>([
      [
        topic,
        () => ({
          sent: true,
          message: 'published',
          job: { queue: proxiedQueues.subscriberEvents, name: 'test', data: {}, jobId },
        }),
      ],
    ]);
    const relayCtx = { config, queues: proxiedQueues, publishers: publishing };
    try {
      const id = await enqueueOutbox(database.handle.db, { topic, payload: {} });
      proxy.hang();
      await expect(relayOutboxOnce(database.handle.db, relayCtx)).rejects.toThrow(/relay enqueue timed out/);
      expect(await statusOf(id)).toBe('pending');
      proxy.restore();
      // The held bytes reach Redis on restore; a later pass claims the row again and settles it.
      const settled = await waitFor(async () => {
        await relayOutboxOnce(database.handle.db, relayCtx);
        return (await statusOf(id)) === 'delivered';
      });
      expect(settled).toBe(true);
      expect(await queues.subscriberEvents.getJob(jobId)).toBeDefined();
    } finally {
      await close();
    }
  });
});

describe('when a relay pass fails', () => {
  it('waits its full interval: nudges right after the failure do not start another pass', async () => {
    const { proxy, proxiedQueues, close } = await throughProxy();
    const topic = 'test.published.backoff';
    const publishing = new Map<string, Publisher>([
      [
        topic,
        (_ctx, message) => ({
          sent: true,
          message: 'published',
          job: {
            queue: proxiedQueues.subscriberEvents,
            name: 'test',
            data: {},
            jobId: `relay-backoff-${message.outboxId}`,
          },
        }),
      ],
    ]);
    const relay = startOutboxRelay(
      database.handle.db,
      { config, queues: proxiedQueues, publishers: publishing },
      logger,
      60_000,
    );
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const first = await enqueueOutbox(database.handle.db, { topic, payload: {} });
      proxy.hang();
      relay.nudge();
      // The pass gives up after RELAY_ENQUEUE_TIMEOUT_MS; Redis answers again right after.
      await new Promise((resolve) => setTimeout(resolve, RELAY_ENQUEUE_TIMEOUT_MS + 500));
      proxy.restore();
      const second = await enqueueOutbox(database.handle.db, { topic, payload: {} });
      relay.nudge();
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect([await statusOf(first), await statusOf(second)]).toEqual(['pending', 'pending']);
    } finally {
      await relay.stop();
      await close();
    }
  });
});
