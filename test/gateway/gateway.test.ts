import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Order } from '../../src/db/schema.js';
import { createApp } from '../../src/gateway/app.js';
import type { GatewayDeps } from '../../src/http/env.js';
import { markEvent } from '../../src/inbox/repository.js';
import { integrations } from '../../src/integrations/index.js';
import { createLogger } from '../../src/lib/logger.js';
import { recordChannelStatus } from '../../src/orders/channel-status.js';
import { type CreateOrderInput, createOrder } from '../../src/orders/create.js';
import { setPaymentStatus } from '../../src/orders/payment.js';
import { transitionOrder } from '../../src/orders/transition.js';
import { createRedisConnection } from '../../src/redis/connection.js';
import { openServices } from '../../src/runtime.js';
import { postJson, startTestSystem, TEST_ADMIN_TOKEN, type TestSystem } from '../support/system.js';

interface Envelope {
  error: { code: string; message: string; requestId: string; details?: { path: string; message: string }[] };
}
interface OrderList {
  data: { id: string; externalOrderId: string }[];
  page: number;
  limit: number;
  total: number;
}

const adminHeaders = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

/** Captures pino's output lines. */
function captureLogs() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  return { lines, logger: createLogger('debug', stream) };
}

/** Every object key in the API's own structure (not inside channel-supplied maps). */
function apiKeys(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(apiKeys);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) =>
    ['metadata', 'attributes', 'externalRefs', 'payload', 'meta'].includes(key)
      ? [key]
      : [key, ...apiKeys(child)],
  );
}

/**
 * A chunked POST (no Content-Length) over node:http. The server may answer 413 and close before the client
 * has written everything; the answer is read regardless of the write error.
 */
function chunkedPost(url: string, headers: Record<string, string>, body: Buffer) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') reject(err);
    });
    const write = (offset: number) => {
      if (offset >= body.length || req.destroyed) {
        req.end();
        return;
      }
      req.write(body.subarray(offset, offset + 64 * 1024), () => write(offset + 64 * 1024));
    };
    write(0);
  });
}

// The gateway alone (no workers): nothing turns stored events into orders or moves their status behind the
// assertions' back.
let system: TestSystem;
beforeAll(async () => {
  system = await startTestSystem({ worker: false });
});
afterAll(async () => {
  await system?.stop();
});

async function inboxCount(): Promise<number> {
  const row = await system.db
    .selectFrom('inbound_events')
    .select(sql<number>`count(*)::int`.as('n'))
    .executeTakeFirstOrThrow();
  return row.n;
}

function expectEnvelope(body: unknown, code: string, requestId?: string): Envelope {
  const envelope = body as Envelope;
  expect(Object.keys(envelope)).toEqual(['error']);
  expect(envelope.error.code).toBe(code);
  expect(typeof envelope.error.message).toBe('string');
  expect(envelope.error.requestId).toEqual(requestId ?? expect.any(String));
  return envelope;
}

describe('health', () => {
  it('answers /healthz without touching dependencies', async () => {
    const res = await fetch(`${system.baseUrl}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz 200 when Postgres and Redis are reachable', async () => {
    const res = await fetch(`${system.baseUrl}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' } });
  });

  describe('when Postgres is unreachable', () => {
    it('answers /readyz 503 naming postgres', async () => {
      // The product's own services, with a DATABASE_URL on a port nothing listens on (the pool connects lazily,
      // so they open without migrating).
      const config = {
        ...system.config,
        DATABASE_URL: 'postgres://postgres@127.0.0.1:1/ordergate',
        QUEUE_PREFIX: `{og-test-${randomUUID().slice(0, 8)}}`,
      };
      const services = await openServices(config, createLogger('silent'), { migrate: false });
      try {
        const app = createApp({ deps: services.gatewayDeps, integrations, adminToken: TEST_ADMIN_TOKEN });
        const res = await app.request('/readyz');
        expect(res.status).toBe(503);
        expect(await res.json()).toEqual({
          status: 'unavailable',
          checks: { postgres: 'unavailable', redis: 'ok' },
        });
      } finally {
        await services.close();
      }
    });
  });

  describe('when Redis is unreachable', () => {
    it('answers /readyz 503 naming redis', async () => {
      const deadRedis = createRedisConnection('redis://127.0.0.1:1', { lazyConnect: true });
      deadRedis.on('error', () => {});
      try {
        const deps: GatewayDeps = {
          ...system.process.services.gatewayDeps,
          checkRedis: async () => {
            await deadRedis.ping();
          },
        };
        const app = createApp({ deps, integrations, adminToken: TEST_ADMIN_TOKEN });
        const res = await app.request('/readyz');
        expect(res.status).toBe(503);
        expect(await res.json()).toEqual({
          status: 'unavailable',
          checks: { postgres: 'ok', redis: 'unavailable' },
        });
      } finally {
        deadRedis.disconnect();
      }
    });
  });
});

describe('request ids', () => {
  it('echoes a well-formed X-Request-Id, also in the error envelope', async () => {
    const res = await fetch(`${system.baseUrl}/nope`, { headers: { 'x-request-id': 'client-req.42:a' } });
    expect(res.headers.get('x-request-id')).toBe('client-req.42:a');
    expectEnvelope(await res.json(), 'not_found', 'client-req.42:a');
  });

  it('generates one when none is sent', async () => {
    const res = await fetch(`${system.baseUrl}/healthz`);
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each([['has spaces'], ['x'.repeat(129)], ['<script>']])('replaces a malformed one (%s)', async (bad) => {
    const res = await fetch(`${system.baseUrl}/nope`, { headers: { 'x-request-id': bad } });
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expectEnvelope(await res.json(), 'not_found', id ?? '');
  });
});

describe('the error envelope', () => {
  const manualUrl = () => `${system.baseUrl}/api/orders`;
  const manualHeaders = (key = `key-${randomUUID()}`) => ({ ...adminHeaders, 'idempotency-key': key });

  it('answers an unknown route 404', async () => {
    const res = await fetch(`${system.baseUrl}/no/such/route`, { method: 'POST' });
    expect(res.status).toBe(404);
    expectEnvelope(await res.json(), 'not_found');
  });

  it('answers a validation failure 400 listing every problem, storing nothing', async () => {
    const before = await inboxCount();
    const res = await postJson(manualUrl(), { currency: 'EURO', items: [] }, manualHeaders());
    expect(res.status).toBe(400);
    const { error } = expectEnvelope(await res.json(), 'validation_failed');
    expect(error.details?.map((d) => d.path).sort()).toEqual(['currency', 'externalOrderId', 'items']);
    expect(await inboxCount()).toBe(before);
  });

  it('answers malformed JSON 400', async () => {
    const res = await postJson(manualUrl(), '{"externalOrderId": ', manualHeaders());
    expect(res.status).toBe(400);
    expectEnvelope(await res.json(), 'malformed_json');
  });

  it('answers a body that is not UTF-8 400', async () => {
    const res = await fetch(manualUrl(), {
      method: 'POST',
      headers: { ...manualHeaders(), 'content-type': 'application/json' },
      body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]),
    });
    expect(res.status).toBe(400);
    expectEnvelope(await res.json(), 'malformed_json');
  });

  it('answers a non-JSON content type 415', async () => {
    const res = await fetch(manualUrl(), {
      method: 'POST',
      headers: { ...manualHeaders(), 'content-type': 'text/plain' },
      body: '{}',
    });
    expect(res.status).toBe(415);
    expectEnvelope(await res.json(), 'unsupported_media_type');
  });

  describe('when the body is over 1 MiB', () => {
    const big = JSON.stringify({ externalOrderId: 'big', padding: 'x'.repeat(1024 * 1024) });

    it('answers 413 and stores nothing (Content-Length given)', async () => {
      const before = await inboxCount();
      const res = await postJson(manualUrl(), big, manualHeaders());
      expect(res.status).toBe(413);
      expectEnvelope(await res.json(), 'payload_too_large');
      expect(await inboxCount()).toBe(before);
      // The server will not read the rest of that body: a keep-alive client must not reuse the connection.
      expect(res.headers.get('connection')).toBe('close');
      for (let i = 0; i < 3; i++) expect((await fetch(`${system.baseUrl}/healthz`)).status).toBe(200);
    });

    it('answers 413 and stores nothing (chunked, no Content-Length)', async () => {
      const before = await inboxCount();
      const res = await chunkedPost(manualUrl(), manualHeaders(), Buffer.from(big));
      expect(res.status).toBe(413);
      expectEnvelope(JSON.parse(res.body), 'payload_too_large');
      expect(await inboxCount()).toBe(before);
    });
  });

  describe('when a route throws something unexpected', () => {
    it('answers 500 with a generic message and logs the cause', async () => {
      const { lines, logger } = captureLogs();
      const app = createApp({
        deps: { ...system.process.services.gatewayDeps, logger },
        integrations,
        adminToken: TEST_ADMIN_TOKEN,
      });
      app.get('/boom', () => {
        throw new Error('connect to db at 10.0.0.7 with password=hunter2 failed');
      });
      app.get('/boom-sql', async (c) => {
        await sql`select * from secret_internal_table`.execute(system.db);
        return c.text('unreachable');
      });
      for (const path of ['/boom', '/boom-sql']) {
        const res = await app.request(path, { headers: { 'x-request-id': `req-${path.slice(1)}` } });
        expect(res.status).toBe(500);
        const text = await res.text();
        expect(JSON.parse(text)).toEqual({
          error: { code: 'internal', message: 'internal error', requestId: `req-${path.slice(1)}` },
        });
        for (const leak of ['hunter2', '10.0.0.7', 'secret_internal_table', 'at ', '.ts']) {
          expect(text).not.toContain(leak);
        }
      }
      const errors = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.level === 50);
      expect(
        errors.some((l) => l.requestId === 'req-boom' && JSON.stringify(l.err).includes('hunter2')),
      ).toBe(true);
    });
  });
});

describe('admin authentication', () => {
  it.each([
    ['no Authorization header', {}],
    ['a wrong token', { authorization: 'Bearer wrong-token-0123456789' }],
    ['the right token with another scheme', { authorization: `Basic ${TEST_ADMIN_TOKEN}` }],
    ['a prefix of the right token', { authorization: `Bearer ${TEST_ADMIN_TOKEN.slice(0, -1)}` }],
  ])('answers 401 with %s', async (_, headers: Record<string, string>) => {
    for (const path of ['/admin/orders', '/admin/events', `/admin/orders/${randomUUID()}`]) {
      const res = await fetch(`${system.baseUrl}${path}`, { headers });
      expect(res.status, path).toBe(401);
      expectEnvelope(await res.json(), 'unauthorized');
    }
  });
});

describe('GET /admin/orders', () => {
  const orders: Record<string, Order> = {};
  let customerC1 = '';

  function input(externalOrderId: string, overrides: Partial<CreateOrderInput>): CreateOrderInput {
    return { channel: 'shop-a', externalOrderId, currency: 'EUR', items: [], actor: 'test', ...overrides };
  }
  const line = (total: number) => [{ sku: 'S', name: 'Thing', quantity: 1, unitPrice: total }];

  beforeAll(async () => {
    const db = system.db;
    const specs: [string, Partial<CreateOrderInput>, string][] = [
      ['A-1', { items: line(1_000), customer: { externalId: 'C1' } }, '2026-01-10T12:00:00Z'],
      ['B-1', { channel: 'shop-b', status: 'shipped', items: line(20_000) }, '2026-01-15T00:00:00Z'],
      [
        'A-2',
        { status: 'confirmed', paymentStatus: 'paid', items: line(5_000), customer: { externalId: 'C2' } },
        '2026-01-20T00:00:00Z',
      ],
      [
        'A-3',
        { status: 'cancelled', items: line(300), customer: { externalId: 'C1' } },
        '2026-02-01T00:00:00Z',
      ],
    ];
    for (const [ext, overrides, createdAt] of specs) {
      const { order } = await createOrder(db, { input: input(ext, overrides), announce: false });
      // created_at is never written by the product; back-date the rows for the date filters.
      await sql`update orders set created_at = ${createdAt} where id = ${order.id}`.execute(db);
      orders[ext] = order;
    }
    customerC1 = orders['A-1']?.customer_id ?? '';
    expect(customerC1).not.toBe('');
  });

  async function list(query: string): Promise<OrderList> {
    const res = await system.admin(`/admin/orders${query}`);
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as OrderList;
  }
  const ids = (body: OrderList) => body.data.map((o) => o.externalOrderId);

  it('lists everything newest first with page, limit and total', async () => {
    const body = await list('');
    expect(ids(body)).toEqual(['A-3', 'A-2', 'B-1', 'A-1']);
    expect(body).toMatchObject({ page: 1, limit: 50, total: 4 });
  });

  it.each([
    ['?channel=shop-a', ['A-3', 'A-2', 'A-1']],
    ['?channel=shop-c', []],
    ['?status=confirmed', ['A-2']],
    ['?status=confirmed,shipped', ['A-2', 'B-1']],
    ['?paymentStatus=paid', ['A-2']],
    ['?externalOrderId=B-1', ['B-1']],
    ['?from=2026-01-15T00:00:00Z', ['A-3', 'A-2', 'B-1']],
    ['?to=2026-01-20T00:00:00Z', ['B-1', 'A-1']],
    ['?from=2026-01-15T00:00:00Z&to=2026-01-20T00:00:00Z', ['B-1']],
    ['?minTotal=5000', ['A-2', 'B-1']],
    ['?maxTotal=1000', ['A-3', 'A-1']],
    ['?minTotal=1000&maxTotal=5000', ['A-2', 'A-1']],
    ['?channel=shop-a&status=pending,cancelled', ['A-3', 'A-1']],
  ])('filters %s', async (query, expected) => {
    const body = await list(query);
    expect(ids(body)).toEqual(expected);
    expect(body.total).toBe(expected.length);
  });

  it('filters by customer', async () => {
    expect(ids(await list(`?customerId=${customerC1}`))).toEqual(['A-3', 'A-1']);
    expect(ids(await list(`?customerId=${randomUUID()}`))).toEqual([]);
  });

  it('filters by exact order number, or by prefix with a trailing *', async () => {
    const number = orders['A-2']?.order_number ?? '';
    expect(ids(await list(`?orderNumber=${number}`))).toEqual(['A-2']);
    expect(ids(await list(`?orderNumber=${number.slice(0, 12)}*`))).toHaveLength(4);
    expect(ids(await list('?orderNumber=ORD-19990101-*'))).toEqual([]);
    // LIKE wildcards in the prefix are literal.
    expect(ids(await list(`?orderNumber=${encodeURIComponent('%*')}`))).toEqual([]);
    expect(ids(await list(`?orderNumber=${encodeURIComponent('ORD-________-*')}`))).toEqual([]);
  });

  it('pages through the results keeping the total', async () => {
    const first = await list('?limit=3&page=1');
    const second = await list('?limit=3&page=2');
    const third = await list('?limit=3&page=3');
    expect([ids(first), ids(second), ids(third)]).toEqual([['A-3', 'A-2', 'B-1'], ['A-1'], []]);
    expect([first.total, second.total, third.total]).toEqual([4, 4, 4]);
    expect(second).toMatchObject({ page: 2, limit: 3 });
  });

  it.each([
    ['?status=bogus', 'status'],
    ['?limit=0', 'limit'],
    ['?limit=201', 'limit'],
    ['?page=0', 'page'],
    ['?customerId=not-a-uuid', 'customerId'],
    ['?from=yesterday', 'from'],
    // Valid JavaScript dates that Postgres cannot compare with a timestamp (was a 500).
    ['?from=-010000-01-01T00:00:00Z', 'from'],
    ['?to=%2B275000-01-01T00:00:00Z', 'to'],
    ['?minTotal=-1', 'minTotal'],
    ['?minTotal=12.5', 'minTotal'],
  ])('refuses %s with 400 naming the parameter', async (query, param) => {
    const res = await system.admin(`/admin/orders${query}`);
    expect(res.status).toBe(400);
    const { error } = expectEnvelope(await res.json(), 'validation_failed');
    expect(error.details?.some((d) => d.path === param || d.path.startsWith(`${param}.`))).toBe(true);
  });

  it('refuses an unknown parameter rather than ignoring it', async () => {
    const res = await system.admin('/admin/orders?chanel=shop-a');
    expect(res.status).toBe(400);
    expectEnvelope(await res.json(), 'validation_failed');
  });
});

describe('GET /admin/orders/:id', () => {
  let order: Order;

  beforeAll(async () => {
    const db = system.db;
    const created = await createOrder(db, {
      input: {
        channel: 'shop-d',
        externalOrderId: 'D-1',
        channelStatus: 'RECEIVED',
        currency: 'TRY',
        customer: { externalId: 'CD', name: 'Deniz', phone: '+905550009999', email: 'd@example.com' },
        items: [
          {
            sku: 'D-SKU',
            name: 'Peynir',
            quantity: 2,
            unitPrice: 7_500,
            externalId: 'line-1',
            taxRateBp: 1000,
          },
        ],
        totals: { shipping: 1_000 },
        externalRefs: { platformOrderId: 'P-77' },
        attributes: { orderCode: '123' },
        actor: 'channel:shop-d',
      },
      announce: false,
    });
    order = created.order;
    await db.transaction().execute(async (trx) => {
      const confirmed = await transitionOrder(trx, { order, to: 'confirmed', actor: 'channel:shop-d' });
      await recordChannelStatus(trx, { order: confirmed, channelStatus: 'ACCEPTED', applied: true });
      await recordChannelStatus(trx, {
        order: confirmed,
        channelStatus: 'RECEIVED',
        applied: false,
        note: 'stale',
      });
      await setPaymentStatus(trx, { order: confirmed, paymentStatus: 'paid', actor: 'channel:pay' });
    });
  });

  it('shows the order in camelCase with items, customer, external refs, timeline and channel history', async () => {
    const res = await system.admin(`/admin/orders/${order.id}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(
      [
        'id',
        'orderNumber',
        'channel',
        'externalOrderId',
        'status',
        'channelStatus',
        'paymentStatus',
        'currency',
        'subtotal',
        'discountTotal',
        'shippingTotal',
        'taxTotal',
        'total',
        'refundedTotal',
        'warehouseCode',
        'externalRefs',
        'attributes',
        'attentionReason',
        'customer',
        'items',
        'itemsPage',
        'createdAt',
        'updatedAt',
        'timeline',
        'channelStatusHistory',
      ].sort(),
    );
    expect(body).toMatchObject({
      id: order.id,
      orderNumber: order.order_number,
      channel: 'shop-d',
      externalOrderId: 'D-1',
      status: 'confirmed',
      channelStatus: 'ACCEPTED',
      paymentStatus: 'paid',
      currency: 'TRY',
      subtotal: 15_000,
      discountTotal: 0,
      shippingTotal: 1_000,
      total: 16_000,
      refundedTotal: 0,
      warehouseCode: null,
      externalRefs: { platformOrderId: 'P-77' },
      attributes: { orderCode: '123' },
      attentionReason: null,
      customer: { externalId: 'CD', name: 'Deniz', phone: '+905550009999', email: 'd@example.com' },
      items: [
        {
          lineNo: 1,
          sku: 'D-SKU',
          name: 'Peynir',
          quantity: 2,
          weightGrams: null,
          pricingType: 'unit',
          unitPrice: 7_500,
          totalPrice: 15_000,
          status: 'active',
          externalId: 'line-1',
          metadata: {},
        },
      ],
    });
    expect(new Date(String(body.createdAt)).toISOString()).toBe(body.createdAt);
    expect(body.timeline).toEqual([
      expect.objectContaining({
        type: 'created',
        fromStatus: null,
        toStatus: 'pending',
        actor: 'channel:shop-d',
      }),
      expect.objectContaining({ type: 'status_changed', fromStatus: 'pending', toStatus: 'confirmed' }),
      expect.objectContaining({
        type: 'channel_status',
        metadata: expect.objectContaining({ applied: false }),
      }),
      expect.objectContaining({ type: 'payment_status_changed', actor: 'channel:pay' }),
    ]);
    expect(body.channelStatusHistory).toEqual([
      expect.objectContaining({ channelStatus: 'RECEIVED', applied: true, note: null }),
      expect.objectContaining({ channelStatus: 'ACCEPTED', applied: true }),
      expect.objectContaining({ channelStatus: 'RECEIVED', applied: false, note: 'stale' }),
    ]);
    // Every key the API chose is camelCase; channel-supplied maps (metadata, attributes, refs) are data.
    expect(apiKeys(body).filter((k) => !/^[a-z][a-zA-Z0-9]*$/.test(k))).toEqual([]);
  });

  it('answers 404 for an order that does not exist', async () => {
    const res = await system.admin(`/admin/orders/${randomUUID()}`);
    expect(res.status).toBe(404);
    expectEnvelope(await res.json(), 'not_found');
  });

  it('answers 400 for an id that is not a uuid', async () => {
    const res = await system.admin('/admin/orders/ORD-1');
    expect(res.status).toBe(400);
    expectEnvelope(await res.json(), 'validation_failed');
  });
});

describe('GET /admin/events', () => {
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    const { ingest } = system.process.services.ctx;
    const specs: [string, string, 'received' | 'processed' | 'dead' | 'attention'][] = [
      ['ev-src-a', 'E-1', 'processed'],
      ['ev-src-a', 'E-2', 'dead'],
      ['ev-src-b', 'E-3', 'processed'],
      ['ev-src-b', 'E-4', 'received'],
    ];
    for (const [source, ext, status] of specs) {
      const { eventId } = await ingest({
        source,
        dedupKey: `dedup-${ext}`,
        eventType: 'order.created',
        externalOrderId: ext,
        payload: { id: ext, amount: 10 },
        meta: { category: 'market' },
      });
      if (status !== 'received') {
        await markEvent(system.db, eventId, status, {
          attempts: 1,
          outcome: status === 'processed' ? 'done' : null,
          error: status === 'dead' ? 'boom' : null,
        });
      }
      ids[ext] = eventId;
    }
  });

  async function listEvents(query: string) {
    const res = await system.admin(`/admin/events${query}`);
    expect(res.status).toBe(200);
    return (await res.json()) as {
      data: Record<string, unknown>[];
      page: number;
      limit: number;
      total: number;
    };
  }
  const externalIds = (body: { data: Record<string, unknown>[] }) =>
    body.data.map((e) => e.externalOrderId).sort();

  it.each([
    ['?source=ev-src-a', ['E-1', 'E-2']],
    ['?source=ev-src-b', ['E-3', 'E-4']],
    ['?status=processed&source=ev-src-a', ['E-1']],
    ['?status=dead', ['E-2']],
    ['?status=received&source=ev-src-b', ['E-4']],
    ['?source=ev-src-b&status=dead', []],
    ['?externalOrderId=E-3', ['E-3']],
  ])('filters %s', async (query, expected) => {
    const body = await listEvents(query);
    expect(externalIds(body)).toEqual(expected);
    expect(body.total).toBe(expected.length);
  });

  it('pages with a total and leaves payloads out of the list', async () => {
    const body = await listEvents('?source=ev-src-a&limit=1&page=2');
    expect(body).toMatchObject({ page: 2, limit: 1, total: 2 });
    expect(body.data).toHaveLength(1);
    expect(body.data[0]).not.toHaveProperty('payload');
  });

  it('refuses an unknown status with 400', async () => {
    const res = await system.admin('/admin/events?status=lost');
    expect(res.status).toBe(400);
    expectEnvelope(await res.json(), 'validation_failed');
  });

  it('shows one event with its payload, meta and outcome', async () => {
    const res = await system.admin(`/admin/events/${ids['E-2']}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      id: ids['E-2'],
      source: 'ev-src-a',
      dedupKey: 'dedup-E-2',
      eventType: 'order.created',
      externalOrderId: 'E-2',
      status: 'dead',
      attempts: 1,
      lastError: 'boom',
      outcome: null,
      receivedAt: expect.any(String),
      processedAt: expect.any(String),
      payload: { id: 'E-2', amount: 10 },
      meta: { category: 'market' },
    });
  });

  it('answers 404 for an unknown event and 400 for a non-uuid id', async () => {
    const missing = await system.admin(`/admin/events/${randomUUID()}`);
    expect(missing.status).toBe(404);
    expectEnvelope(await missing.json(), 'not_found');
    const bad = await system.admin('/admin/events/123');
    expect(bad.status).toBe(400);
    expectEnvelope(await bad.json(), 'validation_failed');
  });
});

describe('PUT /admin/warehouses/:code/stock', () => {
  const put = (path: string, body: unknown) =>
    system.admin(path, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  describe('when the same sku appears twice', () => {
    it('answers 400 naming the repeated line and leaves the stock as it was (was a 500)', async () => {
      expect((await put('/admin/warehouses/GW-DUP', { category: 'market', name: 'Dup' })).status).toBe(200);
      expect((await put('/admin/warehouses/GW-DUP/stock', { items: [{ sku: 'A', onHand: 5 }] })).status).toBe(
        200,
      );
      const res = await put('/admin/warehouses/GW-DUP/stock', {
        items: [
          { sku: 'A', onHand: 1 },
          { sku: 'B', onHand: 1 },
          { sku: ' A', onHand: 2 },
        ],
      });
      expect(res.status).toBe(400);
      const { error } = expectEnvelope(await res.json(), 'validation_failed');
      expect(error.details?.map((d) => d.path)).toEqual(['items.2.sku']);
      const view = (await (await system.admin('/admin/warehouses/GW-DUP')).json()) as {
        stock: { sku: string; onHand: number }[];
      };
      expect(view.stock.map((s) => [s.sku, s.onHand])).toEqual([['A', 5]]);
    });
  });
});
