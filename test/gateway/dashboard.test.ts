import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSystem, TEST_ADMIN_TOKEN, type TestSystem } from '../support/system.js';

describe('the operators job dashboard at /admin/queues', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ worker: false });
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('asks a browser without credentials for them and serves nothing', async () => {
    const res = await fetch(`${system.baseUrl}/admin/queues`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);
  });

  it('serves the dashboard to Basic auth with the admin token as password', async () => {
    const basic = Buffer.from(`ops:${TEST_ADMIN_TOKEN}`).toString('base64');
    const res = await fetch(`${system.baseUrl}/admin/queues`, {
      headers: { authorization: `Basic ${basic}` },
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('ordergate jobs');
  });

  it('lists every queue through its API', async () => {
    const res = await system.admin('/admin/queues/api/queues');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { queues: { name: string }[] };
    expect(body.queues.map((q) => q.name).sort()).toEqual([
      'inbox',
      'maintenance',
      'outbound',
      'subscriber-events',
    ]);
  });

  it('rejects a wrong Basic password', async () => {
    const basic = Buffer.from('ops:wrong-password-123456').toString('base64');
    const res = await fetch(`${system.baseUrl}/admin/queues/api/queues`, {
      headers: { authorization: `Basic ${basic}` },
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });
});
