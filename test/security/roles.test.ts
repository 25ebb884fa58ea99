import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { tokenFingerprint } from '../../src/gateway/auth.js';
import { createLogger } from '../../src/lib/logger.js';
import { resolveAdminToken } from '../../src/runtime.js';
import { rawRequest } from '../fuzz/support.js';
import { startTestSystem, TEST_ADMIN_TOKEN, type TestSystem } from '../support/system.js';
import { confirmedOrder } from './orders.js';

const VIEWER = 'viewer-token-0123456789abcdef-0123';
const OPERATOR = 'operator-token-0123456789abcdef-01';
const ADMIN = 'admin-token-0123456789abcdef-012345';
const NEXT = 'next-admin-token-0123456789abcdef-0';
const METRICS = 'metrics-token-0123456789abcdef-0123';

let system: TestSystem;
beforeAll(async () => {
  system = await startTestSystem({
    worker: false,
    env: {
      ADMIN_TOKENS: `${VIEWER}:viewer, ${OPERATOR}:operator,${ADMIN}:admin`,
      ADMIN_TOKEN_NEXT: NEXT,
      METRICS_TOKEN: METRICS,
    },
  });
});
afterAll(async () => {
  await system?.stop();
});

const call = (token: string, method: string, pathname: string, body?: unknown) =>
  rawRequest(system.baseUrl, {
    method,
    path: pathname,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

describe('when a viewer token is used', () => {
  it('reads orders, events, outbox and the dashboard', async () => {
    for (const pathname of ['/admin/orders', '/admin/events', '/admin/outbox', '/admin/queues/api/queues']) {
      expect((await call(VIEWER, 'GET', pathname)).status, pathname).toBe(200);
    }
  });

  it('cannot act on an order (403) and the order does not move', async () => {
    const order = await confirmedOrder(system.db, 'ROLE-V-1');
    const res = await call(VIEWER, 'POST', `/admin/orders/${order.id}/dispatch`);
    expect(res.status).toBe(403);
    expect(JSON.parse(res.text)).toMatchObject({ error: { code: 'forbidden' } });
  });
});

describe('when an operator token is used', () => {
  it('acts on orders, and the timeline names the operator role and its token', async () => {
    const order = await confirmedOrder(system.db, 'ROLE-O-1');
    const res = await call(OPERATOR, 'POST', `/admin/orders/${order.id}/dispatch`);
    expect(res.status, res.text).toBe(200);
    const actors = await system.db
      .selectFrom('order_events')
      .select('actor')
      .where('order_id', '=', order.id)
      .where('to_status', '=', 'shipped')
      .execute();
    expect(actors).toEqual([{ actor: `admin:operator:${tokenFingerprint(OPERATOR)}` }]);
  });

  it('cannot change configuration: warehouses and GoFood outlets need the admin role', async () => {
    const warehouse = { name: 'Depo', category: 'market' };
    expect((await call(OPERATOR, 'PUT', '/admin/warehouses/W-ROLE', warehouse)).status).toBe(403);
    const outlet = { acceptanceMode: 'auto' };
    expect((await call(OPERATOR, 'PUT', '/admin/gofood/outlets/OUT-1', outlet)).status).toBe(403);
    expect((await call(ADMIN, 'PUT', '/admin/gofood/outlets/OUT-1', outlet)).status).toBe(200);
  });
});

describe('when the admin token is being rotated', () => {
  it('accepts both ADMIN_TOKEN and ADMIN_TOKEN_NEXT as admin', async () => {
    for (const token of [TEST_ADMIN_TOKEN, NEXT]) {
      const res = await call(token, 'PUT', '/admin/gofood/outlets/OUT-2', { acceptanceMode: 'manual' });
      expect(res.status).toBe(200);
    }
  });
});

describe('when the Prometheus token is used', () => {
  it('reads the metrics and nothing else', async () => {
    expect((await call(METRICS, 'GET', '/admin/metrics')).status).toBe(200);
    expect((await call(METRICS, 'GET', '/admin/orders')).status).toBe(403);
  });

  it('cannot open a browser session', async () => {
    const res = await rawRequest(system.baseUrl, {
      path: '/auth/session',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: METRICS }),
    });
    expect(res.status).toBe(401);
  });
});

describe('when no admin token is configured outside production', () => {
  it('prints the generated token once, when it is created', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ordergate-token-'));
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const config = loadConfig({ NODE_ENV: 'development', DATA_DIR: dataDir });
      const first = await resolveAdminToken(config, createLogger('silent'));
      const second = await resolveAdminToken(config, createLogger('silent'));
      expect(second).toBe(first);
      expect(first?.length).toBeGreaterThanOrEqual(32);
      const printed = write.mock.calls
        .map((args) => String(args[0]))
        .filter((t) => first && t.includes(first));
      expect(printed).toHaveLength(1);
    } finally {
      write.mockRestore();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
