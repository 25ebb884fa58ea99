import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../fuzz/support.js';
import { startTestSystem, TEST_ADMIN_TOKEN, type TestSystem, waitFor } from '../support/system.js';
import { confirmedOrder } from './orders.js';

const basic = `Basic ${Buffer.from(`ops:${TEST_ADMIN_TOKEN}`).toString('base64')}`;
/** What a browser adds to a form another site submits to us. */
const crossSite = { origin: 'https://attacker.example', 'sec-fetch-site': 'cross-site' };

let system: TestSystem;
beforeAll(async () => {
  system = await startTestSystem({ worker: true });
});
afterAll(async () => {
  await system?.stop();
});

const outbound = () => system.process.services.queues.outbound;

/** An outbox row in a given state, written as the relay would leave it. */
async function outboxRow(topic: string, payload: object, status: 'enqueued' | 'delivered') {
  const row = await system.db
    .insertInto('outbox')
    .values({ topic, payload: JSON.stringify(payload) })
    .returning('id')
    .executeTakeFirstOrThrow();
  await system.db.updateTable('outbox').set({ status }).where('id', '=', row.id).execute();
  return row;
}

async function statusOf(id: string): Promise<string> {
  const row = await system.db
    .selectFrom('orders')
    .select('status')
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  return row.status;
}

async function login(token = TEST_ADMIN_TOKEN) {
  const res = await rawRequest(system.baseUrl, {
    path: '/auth/session',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  expect(res.status, res.text).toBe(201);
  const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  const session = cookies.find((c) => c.startsWith('og_session='));
  const { csrfToken } = JSON.parse(res.text) as { csrfToken: string };
  return { cookies, session, cookie: session?.split(';')[0] ?? '', csrfToken };
}

describe('when another site posts a text/plain form to the dashboard to add an outbound job', () => {
  const add = (headers: Record<string, string>) =>
    rawRequest(system.baseUrl, {
      path: '/admin/queues/api/queues/outbound/add',
      headers: { 'content-type': 'text/plain', ...headers },
      body: '{"name":"gofood.order.reject","data":{"outboxId":1,"topic":"gofood.order.reject","orderId":null,"payload":{}}}',
    });

  it('is refused with the browser Basic credentials, cross-site or not, and no job is queued', async () => {
    const before = await outbound().count();
    expect((await add({ authorization: basic, ...crossSite })).status).toBe(403);
    expect((await add({ authorization: basic })).status).toBe(403);
    expect(await outbound().count()).toBe(before);
  });

  it('is refused even with the bearer token: the dashboard cannot add, edit, empty, clean or obliterate', async () => {
    const bearer = { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' };
    for (const [method, path] of [
      ['POST', '/admin/queues/api/queues/outbound/add'],
      ['PATCH', '/admin/queues/api/queues/outbound/1/update-data'],
      ['PUT', '/admin/queues/api/queues/outbound/empty'],
      ['PUT', '/admin/queues/api/queues/outbound/clean/failed'],
      ['PUT', '/admin/queues/api/queues/outbound/obliterate'],
      ['PUT', '/admin/queues/api/queues/pause'],
    ] as const) {
      const res = await rawRequest(system.baseUrl, { method, path, headers: bearer, body: '{}' });
      expect(res.status, `${method} ${path}`).toBe(403);
    }
  });
});

describe('when another site posts a form to /admin/orders/:id/dispatch', () => {
  it('is refused and the order stays where it was', async () => {
    const order = await confirmedOrder(system.db, 'CSRF-1');
    const form = { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '0' };
    const path = `/admin/orders/${order.id}/dispatch`;
    const withBasic = await rawRequest(system.baseUrl, { path, headers: { ...form, authorization: basic } });
    expect(withBasic.status).toBe(403);
    const crossSiteBasic = await rawRequest(system.baseUrl, {
      path,
      headers: { ...form, authorization: basic, ...crossSite },
    });
    expect(crossSiteBasic.status).toBe(403);
    const { cookie, csrfToken } = await login();
    const crossSiteSession = await rawRequest(system.baseUrl, {
      path,
      headers: { ...form, cookie, 'x-csrf-token': csrfToken, ...crossSite },
    });
    expect(crossSiteSession.status).toBe(403);
    const foreignOrigin = await rawRequest(system.baseUrl, {
      path,
      headers: { ...form, cookie, 'x-csrf-token': csrfToken, origin: 'null' },
    });
    expect(foreignOrigin.status).toBe(403);
    expect(await statusOf(order.id)).toBe('confirmed');
  });
});

describe('when an operator signs in for a browser session', () => {
  it('sets an HttpOnly, SameSite=Strict, Secure session cookie and a readable CSRF cookie', async () => {
    const { cookies, session } = await login();
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/SameSite=Strict/);
    expect(session).toMatch(/Secure/);
    const csrf = cookies.find((c) => c.startsWith('XSRF-TOKEN='));
    expect(csrf).toMatch(/SameSite=Strict/);
    expect(csrf).not.toMatch(/HttpOnly/);
  });

  it('refuses a state change that does not echo the CSRF token, and accepts one that does', async () => {
    const order = await confirmedOrder(system.db, 'CSRF-2');
    const { cookie, csrfToken } = await login();
    const path = `/admin/orders/${order.id}/dispatch`;
    const without = await rawRequest(system.baseUrl, { path, headers: { cookie, 'content-length': '0' } });
    expect(without.status).toBe(403);
    const wrong = await rawRequest(system.baseUrl, {
      path,
      headers: { cookie, 'x-csrf-token': `${csrfToken.slice(1)}x` },
    });
    expect(wrong.status).toBe(403);
    expect(await statusOf(order.id)).toBe('confirmed');
    const same = await rawRequest(system.baseUrl, {
      path,
      headers: { cookie, 'x-xsrf-token': csrfToken, origin: system.baseUrl, 'sec-fetch-site': 'same-origin' },
    });
    expect(same.status, same.text).toBe(200);
    expect(await statusOf(order.id)).toBe('shipped');
  });

  it('reads pages with the session, and the session stops working after signing out', async () => {
    const { cookie, csrfToken } = await login();
    expect(
      (await rawRequest(system.baseUrl, { method: 'GET', path: '/admin/orders', headers: { cookie } }))
        .status,
    ).toBe(200);
    const out = await rawRequest(system.baseUrl, {
      method: 'DELETE',
      path: '/auth/session',
      headers: { cookie, 'x-csrf-token': csrfToken },
    });
    expect(out.status).toBe(204);
    const after = await rawRequest(system.baseUrl, {
      method: 'GET',
      path: '/admin/orders',
      headers: { cookie },
    });
    expect(after.status).toBe(401);
  });

  it('refuses a wrong token with 401 and sets no cookie', async () => {
    const res = await rawRequest(system.baseUrl, {
      path: '/auth/session',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: 'not-the-admin-token-000000000' }),
    });
    expect(res.status).toBe(401);
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('signs a browser in from the form and sends it to the dashboard', async () => {
    const res = await rawRequest(system.baseUrl, {
      path: '/auth/session',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
      body: `token=${encodeURIComponent(TEST_ADMIN_TOKEN)}&next=${encodeURIComponent('//attacker.example')}`,
    });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/admin/queues');
  });
});

describe('when a failed job is retried from the dashboard', () => {
  it('retries it with a session and its CSRF token, but refuses to run a job that has not failed', async () => {
    const queue = system.process.services.queues.maintenance;
    const failed = await queue.add('no-such-maintenance-task', {}, { attempts: 1 });
    await waitFor(async () => (await failed.getState()) === 'failed');
    const { cookie, csrfToken } = await login();
    const headers = { cookie, 'x-xsrf-token': csrfToken };
    const retry = await rawRequest(system.baseUrl, {
      method: 'PUT',
      path: `/admin/queues/api/queues/maintenance/${failed.id}/retry`,
      headers,
    });
    expect(retry.status, retry.text).toBe(204);

    const delayed = await queue.add('later', {}, { delay: 3_600_000 });
    const early = await rawRequest(system.baseUrl, {
      method: 'PUT',
      path: `/admin/queues/api/queues/maintenance/${delayed.id}/retry`,
      headers,
    });
    expect(early.status).toBe(403);
    await delayed.remove();
  });
});

describe('when an outbound job does not match a pending outbox row', () => {
  async function finished(jobId: string) {
    return waitFor(async () => {
      const job = await outbound().getJob(jobId);
      const state = await job?.getState();
      return state === 'failed' || state === 'completed'
        ? { state, reason: job?.failedReason ?? '' }
        : undefined;
    });
  }

  it('refuses a forged job that names no outbox row, without calling anyone', async () => {
    const job = await outbound().add('gofood.order.reject', {
      outboxId: 987_654,
      topic: 'gofood.order.reject',
      orderId: null,
      payload: { outletId: 'o', orderNumber: 'F-1', serviceType: 'gofood' },
    });
    const result = await finished(String(job.id));
    expect(result).toEqual({ state: 'failed', reason: expect.stringContaining('does not exist') });
  });

  it("uses the row's own topic and payload, not the job's", async () => {
    const row = await outboxRow('delivery.requested', { orderId: randomUUID() }, 'enqueued');
    const job = await outbound().add('gofood.order.reject', {
      outboxId: Number(row.id),
      topic: 'gofood.order.reject',
      orderId: null,
      payload: { outletId: 'o', orderNumber: 'F-2', serviceType: 'gofood' },
    });
    const result = await finished(String(job.id));
    expect(result.state, result.reason).toBe('completed');
    const settled = await system.db
      .selectFrom('outbox')
      .select('status')
      .where('id', '=', row.id)
      .executeTakeFirstOrThrow();
    expect(settled.status).toBe('delivered');
  });

  it('refuses a job whose row was already delivered', async () => {
    const row = await outboxRow('delivery.requested', {}, 'delivered');
    const job = await outbound().add('delivery.requested', {
      outboxId: Number(row.id),
      topic: 'delivery.requested',
      orderId: null,
      payload: {},
    });
    expect(await finished(String(job.id))).toEqual({
      state: 'failed',
      reason: expect.stringContaining('is delivered'),
    });
  });
});
