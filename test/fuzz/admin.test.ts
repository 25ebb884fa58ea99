import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderActionNames } from '../../src/integrations/types.js';
import { postJson, startTestSystem, TEST_ADMIN_TOKEN, type TestSystem, waitFor } from '../support/system.js';
import {
  expectClientError,
  FUZZ_RUNS,
  nested,
  type RawResponse,
  rawRequest,
  storedCounts,
} from './support.js';

const admin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
const json = { 'content-type': 'application/json' };

let system: TestSystem;
let orderId: string;
let eventId: string;

beforeAll(async () => {
  system = await startTestSystem();
  const res = await postJson(
    `${system.baseUrl}/api/orders`,
    {
      externalOrderId: 'fuzz-admin-1',
      currency: 'EUR',
      items: [{ sku: 'A', name: 'A', quantity: 1, unitPrice: 1000 }],
    },
    { ...admin, 'idempotency-key': 'fuzz-admin-order-1' },
  );
  eventId = ((await res.json()) as { eventId: string }).eventId;
  const list = await waitFor(async () => {
    const body = (await (await system.admin('/admin/orders')).json()) as { data: { id: string }[] };
    return body.data[0];
  });
  orderId = list.id;
  // The worker finishes after the order exists (inbox row, outbox relay, outbound side effects): wait until
  // nothing moves any more, or "changes nothing" would see the system's own late writes.
  await waitFor(async () => (await state()).event.status === 'processed');
  let previous = JSON.stringify(await state());
  await waitFor(
    async () => {
      await new Promise((r) => setTimeout(r, 500));
      const current = JSON.stringify(await state());
      const settled = current === previous;
      previous = current;
      return settled;
    },
    20_000,
    0,
  );
});
afterAll(async () => {
  await system?.stop();
});

/** Everything an admin action could change: row counts plus the order's mutable columns. */
async function state() {
  const order = await system.db
    .selectFrom('orders')
    .select(['status', 'payment_status', 'refunded_total', 'updated_at', 'attention_reason'])
    .where('id', '=', orderId)
    .executeTakeFirstOrThrow();
  const event = await system.db
    .selectFrom('inbound_events')
    .select(['status', 'attempts', 'updated_at'])
    .where('id', '=', eventId)
    .executeTakeFirstOrThrow();
  return { counts: await storedCounts(system.db), order, event };
}

async function refusedAndUnchanged(act: () => Promise<RawResponse>, context: string): Promise<RawResponse> {
  const before = await state();
  const res = await act();
  expectClientError(res, context);
  expect(await state(), `state after ${context}`).toEqual(before);
  return res;
}

const action = (id: string, name: string, body?: Buffer | string, headers: Record<string, string> = {}) =>
  rawRequest(system.baseUrl, {
    path: `/admin/orders/${id}/${name}`,
    headers: { ...admin, ...(body === undefined ? {} : json), ...headers },
    ...(body === undefined ? {} : { body }),
  });

describe('POST /admin/orders/:id/:action', () => {
  describe('when the id or the action is random', () => {
    it('answers 4xx and changes nothing', async () => {
      const segment = fc.oneof(
        fc.string({ minLength: 1, maxLength: 60 }),
        fc.uuid(),
        fc.constantFrom('..', '%00', '00000000-0000-0000-0000-000000000000', orderId.toUpperCase()),
      );
      const actionName = fc.oneof(
        fc.constantFrom(...orderActionNames, 'delete', 'DISPATCH'),
        fc.string({ minLength: 1, maxLength: 20 }),
      );
      await fc.assert(
        fc.asyncProperty(segment, actionName, async (id, name) => {
          // A random id never names the order; every path here must be refused.
          fc.pre(id.toLowerCase() !== orderId);
          await refusedAndUnchanged(
            () =>
              action(encodeURIComponent(id), encodeURIComponent(name), JSON.stringify({ reason: 'fuzzing' })),
            `${id} / ${name}`,
          );
        }),
        { numRuns: FUZZ_RUNS },
      );
    });
  });

  describe('when cancel, refund or resolve gets a random body', () => {
    it('answers 4xx and changes nothing', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('cancel', 'refund', 'resolve'),
          fc.jsonValue({ maxDepth: 4 }),
          async (name, body) => {
            await refusedAndUnchanged(
              () => action(orderId, name, JSON.stringify(body)),
              `${name} ${JSON.stringify(body).slice(0, 80)}`,
            );
          },
        ),
        { numRuns: FUZZ_RUNS },
      );
    });
  });

  describe('when cancel, refund or resolve gets a body its schema forbids', () => {
    it.each([
      ['cancel', { reason: 'no' }],
      ['cancel', { reason: 42 }],
      ['cancel', { reason: 'a\u0000bcd' }],
      ['cancel', { reason: 'x'.repeat(501) }],
      ['cancel', { reason: 'valid reason', deep: JSON.parse(nested(1000)) as unknown }],
      ['refund', { amount: 0, reason: 'customer asked' }],
      ['refund', { amount: -100, reason: 'customer asked' }],
      ['refund', { amount: 10.5, reason: 'customer asked' }],
      ['refund', { amount: '100', reason: 'customer asked' }],
      ['refund', { amount: 1e308, reason: 'customer asked' }],
      ['refund', { amount: 100, reason: 'customer asked', items: [{ sku: '', quantity: 1 }] }],
      ['resolve', { note: 'no' }],
      ['resolve', { note: ['a note'] }],
      // Well formed, but the order is not flagged for attention: a rule refusal.
      ['resolve', { note: 'looked at it' }],
      // Well formed, but the order is not paid: a rule refusal, still nothing changes.
      ['refund', { amount: 100, reason: 'customer asked' }],
    ])('answers 4xx and changes nothing: %s %j', async (name, body) => {
      await refusedAndUnchanged(
        () => action(orderId, name, JSON.stringify(body)),
        `${name} ${JSON.stringify(body)}`,
      );
    });
  });

  describe('when the body is not JSON, not UTF-8, too large or too deep', () => {
    it.each([
      ['text/plain', 'cancel', Buffer.from('reason=because'), 'text/plain'],
      ['form', 'cancel', Buffer.from('reason=because'), 'application/x-www-form-urlencoded'],
      ['invalid UTF-8', 'cancel', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 'application/json'],
      ['malformed JSON', 'cancel', Buffer.from('{"reason": "abc"'), 'application/json'],
      ['100k-deep arrays', 'cancel', Buffer.from(nested(100_000)), 'application/json'],
      ['100k-deep arrays', 'dispatch', Buffer.from(nested(100_000)), 'application/json'],
      ['over the body limit', 'dispatch', Buffer.alloc(1024 * 1024 + 1, 0x20), 'application/json'],
      ['wrong content type', 'dispatch', Buffer.from('{}'), 'text/plain'],
    ])('answers 4xx and changes nothing: %s on %s', async (_name, name, body, contentType) => {
      await refusedAndUnchanged(
        () => action(orderId, name, body, { 'content-type': contentType }),
        `${_name} on ${name}`,
      );
    });
  });

  describe('when the admin credentials are missing or wrong', () => {
    it.each([
      ['none', {}],
      ['wrong token', { authorization: 'Bearer wrong-token-wrong-token' }],
      [
        'basic with the token as password',
        { authorization: `Basic ${Buffer.from(`x:${TEST_ADMIN_TOKEN}x`).toString('base64')}` },
      ],
      ['token without scheme', { authorization: TEST_ADMIN_TOKEN }],
    ])('answers 401 and changes nothing: %s', async (_name, headers) => {
      for (const name of ['dispatch', 'cancel']) {
        const res = await refusedAndUnchanged(
          () =>
            rawRequest(system.baseUrl, {
              path: `/admin/orders/${orderId}/${name}`,
              headers: { ...json, ...headers },
              body: JSON.stringify({ reason: 'fuzzing' }),
            }),
          `${name} with ${_name}`,
        );
        expect(res.status).toBe(401);
      }
    });
  });
});

describe('POST /admin/events/:id/replay', () => {
  describe('when the id is random', () => {
    it('answers 4xx and changes nothing', async () => {
      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.string({ minLength: 1, maxLength: 60 }), fc.uuid()), async (id) => {
          fc.pre(id.toLowerCase() !== eventId);
          await refusedAndUnchanged(
            () =>
              rawRequest(system.baseUrl, {
                path: `/admin/events/${encodeURIComponent(id)}/replay`,
                headers: admin,
              }),
            id,
          );
        }),
        { numRuns: FUZZ_RUNS },
      );
    });
  });

  describe('when the event was processed already, or the credentials are wrong', () => {
    it('answers 4xx and changes nothing', async () => {
      await waitFor(async () => (await state()).event.status === 'processed');
      const conflict = await refusedAndUnchanged(
        () => rawRequest(system.baseUrl, { path: `/admin/events/${eventId}/replay`, headers: admin }),
        'processed event',
      );
      expect(conflict.status).toBe(409);
      const unauthorized = await refusedAndUnchanged(
        () =>
          rawRequest(system.baseUrl, {
            path: `/admin/events/${eventId}/replay`,
            headers: { authorization: 'Bearer nope-nope-nope-nope' },
          }),
        'wrong token',
      );
      expect(unauthorized.status).toBe(401);
    });
  });
});

describe('POST /admin/outbox/:id/replay', () => {
  describe('when the id is random', () => {
    it('answers 4xx and changes nothing', async () => {
      const outboxStatuses = () =>
        system.db.selectFrom('outbox').select(['id', 'status', 'finished_at']).orderBy('id').execute();
      const before = await outboxStatuses();
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.string({ minLength: 1, maxLength: 60 }),
            fc.uuid(),
            fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
            fc.double().map(String),
          ),
          async (id) => {
            await refusedAndUnchanged(
              () =>
                rawRequest(system.baseUrl, {
                  path: `/admin/outbox/${encodeURIComponent(id)}/replay`,
                  headers: admin,
                }),
              id,
            );
          },
        ),
        { numRuns: FUZZ_RUNS },
      );
      expect(await outboxStatuses()).toEqual(before);
    });
  });
});

describe('GET /admin/orders, /admin/events and /admin/outbox with random query strings', () => {
  it('never answers 5xx; every refusal is a 4xx envelope', async () => {
    const key = fc.constantFrom(
      'channel',
      'status',
      'paymentStatus',
      'externalOrderId',
      'orderNumber',
      'customerId',
      'from',
      'to',
      'minTotal',
      'maxTotal',
      'page',
      'limit',
      'source',
      'topic',
      'orderId',
      'unknown',
    );
    const value = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.integer().map(String),
      fc.constantFrom('1e400', '-1', 'NaN', '2026-13-45', 'pending,bogus', ',', '9'.repeat(400), '%00'),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/admin/orders', '/admin/events', '/admin/outbox'),
        fc.array(fc.tuple(key, value), { maxLength: 4 }),
        async (pathname, pairs) => {
          const query = new URLSearchParams(pairs).toString();
          const res = await rawRequest(system.baseUrl, {
            method: 'GET',
            path: `${pathname}?${query}`,
            headers: admin,
          });
          expect(res.status, `${pathname}?${query}: ${res.text.slice(0, 200)}`).toBeLessThan(500);
          if (res.status >= 400) expectClientError(res, `${pathname}?${query}`);
        },
      ),
      { numRuns: FUZZ_RUNS },
    );
  });
});

/** The admin routes that write configuration (warehouses, stock, outlets) or run a recovery. */
const adminWrites = [
  { method: 'PUT', path: '/admin/warehouses/FUZZ-1' },
  { method: 'PUT', path: '/admin/warehouses/FUZZ-1/stock' },
  { method: 'PUT', path: '/admin/gofood/outlets/G-FUZZ-1' },
  { method: 'POST', path: '/admin/yemeksepeti/recover' },
];

describe.each(adminWrites)('$method $path', ({ method, path }) => {
  const send = (body: Buffer | string, headers: Record<string, string> = {}) =>
    rawRequest(system.baseUrl, { method, path, headers: { ...admin, ...json, ...headers }, body });

  describe('when the body is random JSON', () => {
    it('answers 4xx and changes nothing', async () => {
      await fc.assert(
        fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (body) => {
          await refusedAndUnchanged(() => send(JSON.stringify(body)), `${JSON.stringify(body).slice(0, 80)}`);
        }),
        { numRuns: FUZZ_RUNS },
      );
    });
  });

  describe('when the body is not JSON, not UTF-8, too large or too deep, or the token is wrong', () => {
    it.each([
      ['text/plain', Buffer.from('{}'), { 'content-type': 'text/plain' }],
      ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]), {}],
      ['malformed JSON', Buffer.from('{"category": "market",'), {}],
      ['100k-deep arrays', Buffer.from(nested(100_000)), {}],
      ['over the body limit', Buffer.alloc(1024 * 1024 + 1, 0x20), {}],
      ['NUL in a string', Buffer.from('{"name":"a\\u0000b","category":"market"}'), {}],
      ['no token', Buffer.from('{}'), { authorization: '' }],
      ['a webhook token', Buffer.from('{}'), { authorization: 'Bearer ys-market-token-0123456789abcdef' }],
    ])('answers 4xx and changes nothing: %s', async (_name, body, headers) => {
      await refusedAndUnchanged(() => send(body, headers as Record<string, string>), _name);
    });
  });
});
