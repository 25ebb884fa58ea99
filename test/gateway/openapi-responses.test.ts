import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualOrder, postOrder } from '../durability/helpers.js';
import { readServedDocument, type ServedDocument } from '../support/openapi.js';
import { startTestSystem, TEST_ADMIN_TOKEN, type TestSystem, waitFor } from '../support/system.js';

type Json = Record<string, unknown>;

describe("the OpenAPI document's response schemas", () => {
  let system: TestSystem;
  let served: ServedDocument;

  beforeAll(async () => {
    system = await startTestSystem();
    served = await readServedDocument(system.baseUrl);
  });
  const documented = (method: string, path: string, status: number) =>
    served.documented(method, path, status);
  const problems = (schema: Json, body: unknown) => served.problems(schema, body);

  afterAll(async () => {
    await system?.stop();
  });

  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${system.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${TEST_ADMIN_TOKEN}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, json: (await res.json()) as unknown };
  };

  it('gives every push answer and the main admin answers a schema of their own fields', () => {
    const paths = served.document.paths as Record<string, Record<string, Json>>;
    const pushes = Object.entries(paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([, op]) => (op.tags as string[]).includes('channels') && (op.responses as Json)['202'])
        .map(([method]) => [method, path, [202, 200]] as const),
    );
    expect(pushes.map(([, path]) => path)).toEqual(
      expect.arrayContaining([
        '/api/orders',
        '/api/v2/yemeksepeti/order/create',
        '/api/v2/yemeksepeti/market/order/create',
        '/api/v2/yemeksepeti/su/order/create',
        '/webhooks/gofood',
        '/webhooks/onebasket',
        '/webhooks/providers/{providerId}/events',
      ]),
    );
    const adminAnswers = [
      ['get', '/admin/orders', [200]],
      ['get', '/admin/orders/{id}', [200]],
      ['get', '/admin/orders/{id}/items', [200]],
      ['post', '/admin/orders/{id}/{action}', [200]],
      ['get', '/admin/events', [200]],
      ['get', '/admin/events/{id}', [200]],
      ['post', '/admin/events/{id}/replay', [202]],
      ['get', '/admin/outbox', [200]],
      ['get', '/admin/outbox/{id}', [200]],
      ['post', '/admin/outbox/{id}/replay', [202]],
      ['get', '/admin/interventions', [200]],
      ['get', '/admin/interventions/{id}', [200]],
      ['post', '/admin/interventions/{id}/resolve', [200]],
      ['post', '/admin/interventions/{id}/acknowledge', [200]],
      ['post', '/admin/interventions/{id}/replay', [202]],
      ['get', '/admin/warehouses/{code}', [200]],
      ['put', '/admin/warehouses/{code}', [200]],
      ['put', '/admin/warehouses/{code}/stock', [200]],
      ['get', '/healthz', [200]],
      ['get', '/readyz', [200, 503]],
      ['get', '/admin/gofood/outlets/{outletId}', [200]],
      ['put', '/admin/gofood/outlets/{outletId}', [200]],
      ['post', '/admin/reconciliation/runs', [201]],
      ['get', '/admin/reconciliation/runs', [200]],
      ['get', '/admin/reconciliation/runs/{id}', [200]],
      ['post', '/auth/session', [201]],
      ['get', '/auth/session', [200]],
    ] as const;
    for (const [method, path] of [...pushes, ...adminAnswers]) {
      const op = paths[path]?.[method] as { responses: Record<string, unknown> };
      for (const status of Object.keys(op.responses).filter((s) => s.startsWith('4'))) {
        expect(JSON.stringify(op.responses[status]), `${method} ${path} ${status}`).toContain(
          '#/components/schemas/ErrorEnvelope',
        );
      }
    }
    expect(served.undescribed([...pushes, ...adminAnswers])).toEqual([]);
    const envelope = documented('get', '/admin/orders/{id}', 404);
    const error = (envelope.properties as Record<string, Json>).error as Json;
    expect(error.required).toEqual(['code', 'message', 'requestId']);
  });

  it('documents the push answers the gateway sends: 202 for a new event, 200 for a duplicate', async () => {
    const order = manualOrder('openapi-push-1');
    const first = await postOrder(system.baseUrl, order);
    expect(first.status).toBe(202);
    expect(problems(documented('post', '/api/orders', 202), await first.json())).toEqual([]);
    const again = await postOrder(system.baseUrl, order);
    expect(again.status).toBe(200);
    const duplicate = await again.json();
    expect(duplicate).toMatchObject({ duplicate: true });
    expect(problems(documented('post', '/api/orders', 200), duplicate)).toEqual([]);
  });

  it("documents the orders list and an order's detail as the gateway answers them", async () => {
    expect((await postOrder(system.baseUrl, manualOrder('openapi-order-1'))).status).toBe(202);
    const id = await waitFor(async () => {
      const { json } = await admin('GET', '/admin/orders?externalOrderId=openapi-order-1');
      return (json as { data: { id: string }[] }).data[0]?.id;
    });
    const list = await admin('GET', '/admin/orders?limit=5');
    expect(list.status).toBe(200);
    expect(problems(documented('get', '/admin/orders', 200), list.json)).toEqual([]);
    const detail = await admin('GET', `/admin/orders/${id}`);
    expect(detail.status).toBe(200);
    expect((detail.json as { items: unknown[] }).items).toHaveLength(1);
    expect(problems(documented('get', '/admin/orders/{id}', 200), detail.json)).toEqual([]);
    const items = await admin('GET', `/admin/orders/${id}/items`);
    expect(problems(documented('get', '/admin/orders/{id}/items', 200), items.json)).toEqual([]);
  });

  describe('when an answer differs from its documented schema', () => {
    it('the check reports it (a field the schema does not have, a required one missing)', async () => {
      const list = await admin('GET', '/admin/orders?limit=1');
      const { total: _total, ...withoutTotal } = list.json as Json;
      expect(problems(documented('get', '/admin/orders', 200), withoutTotal)).not.toEqual([]);
      expect(
        problems(documented('get', '/admin/orders', 200), { ...(list.json as Json), extra: 1 }),
      ).not.toEqual([]);
    });
  });

  it('documents the event, outbox, intervention and warehouse answers as the gateway sends them', async () => {
    const events = await admin('GET', '/admin/events?limit=5');
    expect((events.json as { data: unknown[] }).data.length).toBeGreaterThan(0);
    expect(problems(documented('get', '/admin/events', 200), events.json)).toEqual([]);
    const eventId = (events.json as { data: { id: string }[] }).data[0]?.id;
    const event = await admin('GET', `/admin/events/${eventId}`);
    expect(problems(documented('get', '/admin/events/{id}', 200), event.json)).toEqual([]);
    const outbox = await admin('GET', '/admin/outbox?limit=5');
    expect(problems(documented('get', '/admin/outbox', 200), outbox.json)).toEqual([]);
    const interventions = await admin('GET', '/admin/interventions');
    expect(problems(documented('get', '/admin/interventions', 200), interventions.json)).toEqual([]);
    const warehouse = await admin('PUT', '/admin/warehouses/OPENAPI-1', {
      category: 'market',
      name: 'Documented',
      externalStoreIds: ['openapi-store'],
    });
    expect(warehouse.status).toBe(200);
    expect(problems(documented('put', '/admin/warehouses/{code}', 200), warehouse.json)).toEqual([]);
    const stock = await admin('PUT', '/admin/warehouses/OPENAPI-1/stock', {
      items: [{ sku: 'SKU-1', onHand: 5 }],
    });
    expect(problems(documented('put', '/admin/warehouses/{code}/stock', 200), stock.json)).toEqual([]);
  });

  it('documents health, GoFood outlet and reconciliation run answers as the gateway sends them', async () => {
    const answer = async (method: string, path: string, status: number, res: Promise<Response>) =>
      served.expectDocumented(method, path, await res, status);
    await answer('get', '/healthz', 200, fetch(`${system.baseUrl}/healthz`));
    const ready = await answer('get', '/readyz', 200, fetch(`${system.baseUrl}/readyz`));
    expect(ready).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' } });
    const outlet = { acceptanceMode: 'manual' };
    const put = await admin('PUT', '/admin/gofood/outlets/openapi-outlet', outlet);
    expect(put.status).toBe(200);
    expect(problems(documented('put', '/admin/gofood/outlets/{outletId}', 200), put.json)).toEqual([]);
    const get = await admin('GET', '/admin/gofood/outlets/openapi-outlet');
    expect(get.json).toEqual({ outletId: 'openapi-outlet', acceptanceMode: 'manual', warehouse: null });
    expect(problems(documented('get', '/admin/gofood/outlets/{outletId}', 200), get.json)).toEqual([]);
    const run = await admin('POST', '/admin/reconciliation/runs', {});
    expect(run.status).toBe(201);
    expect(problems(documented('post', '/admin/reconciliation/runs', 201), run.json)).toEqual([]);
    const runs = await admin('GET', '/admin/reconciliation/runs?limit=5');
    expect((runs.json as { data: unknown[] }).data.length).toBeGreaterThan(0);
    expect(problems(documented('get', '/admin/reconciliation/runs', 200), runs.json)).toEqual([]);
    const one = await admin('GET', `/admin/reconciliation/runs/${(run.json as { id: string }).id}`);
    expect(problems(documented('get', '/admin/reconciliation/runs/{id}', 200), one.json)).toEqual([]);
  });

  it('documents the session answers as the gateway sends them', async () => {
    const signIn = await fetch(`${system.baseUrl}/auth/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: TEST_ADMIN_TOKEN }),
    });
    const cookie = signIn.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const created = await served.expectDocumented('post', '/auth/session', signIn, 201);
    expect(created).toMatchObject({ role: 'admin' });
    const session = await fetch(`${system.baseUrl}/auth/session`, { headers: { cookie } });
    const read = await served.expectDocumented('get', '/auth/session', session, 200);
    expect(read).toMatchObject({ role: 'admin', csrfToken: created.csrfToken });
  });

  it('documents the error envelope a 4xx answers in', async () => {
    const missing = await admin('GET', `/admin/orders/${randomUUID()}`);
    expect(missing.status).toBe(404);
    expect(problems(documented('get', '/admin/orders/{id}', 404), missing.json)).toEqual([]);
    const invalid = await admin('PUT', '/admin/warehouses/OPENAPI-2', { category: 'bakery' });
    expect(invalid.status).toBe(400);
    expect((invalid.json as { error: { details: unknown[] } }).error.details.length).toBeGreaterThan(0);
    expect(problems(documented('put', '/admin/warehouses/{code}', 400), invalid.json)).toEqual([]);
  });
});
