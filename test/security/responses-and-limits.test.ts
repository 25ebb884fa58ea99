import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../fuzz/support.js';
import { startTestSystem, TEST_ADMIN_TOKEN, type TestSystem } from '../support/system.js';

let system: TestSystem;
beforeAll(async () => {
  system = await startTestSystem({ worker: false, env: { AUTH_FAILURE_LIMIT: '3' } });
});
afterAll(async () => {
  await system?.stop();
});

const get = (pathname: string, headers: Record<string, string> = {}) =>
  rawRequest(system.baseUrl, { method: 'GET', path: pathname, headers });
const bearer = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

describe('when admin JSON is answered', () => {
  it('forbids caching it and sniffing its type, errors included', async () => {
    for (const res of [await get('/admin/orders', bearer), await get('/admin/orders?limit=0', bearer)]) {
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
  });
});

describe('when an HTML page is served', () => {
  it('cannot be framed by another page', async () => {
    const res = await get('/auth/login');
    expect(res.status).toBe(200);
    expect(res.headers['content-security-policy']).toBe("frame-ancestors 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });
});

describe('when /admin/events or /admin/outbox is paged deep or counts a huge filter', () => {
  it('refuses a page past the offset cap with 400', async () => {
    for (const list of ['/admin/events', '/admin/outbox']) {
      const res = await get(`${list}?page=100&limit=200`, bearer);
      expect(res.status, list).toBe(400);
    }
  });

  it('counts at most 10,000 matches and says the total is capped', async () => {
    await sql`insert into inbound_events (source, dedup_key, event_type, payload)
      select 'bulk', 'k-' || g, 'test', '{}'::json from generate_series(1, 10001) g`.execute(system.db);
    const res = await get('/admin/events?source=bulk&limit=1', bearer);
    expect(JSON.parse(res.text)).toMatchObject({ total: 10_000, totalIsCapped: true });
  });
});

describe('when one address keeps failing to authenticate', () => {
  it('gets 429 with Retry-After once over the limit, even with the right token, and nothing is served', async () => {
    const wrong = { authorization: 'Bearer wrong-token-0000000000000000000000' };
    for (let i = 0; i < 3; i++) expect((await get('/admin/orders', wrong)).status).toBe(401);
    const over = await get('/admin/orders', wrong);
    expect(over.status).toBe(429);
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    const right = await get('/admin/orders', bearer);
    expect(right.status).toBe(429);
    const login = await rawRequest(system.baseUrl, {
      path: '/auth/session',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: TEST_ADMIN_TOKEN }),
    });
    expect(login.status).toBe(429);
  });
});
