import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeProvider } from '../support/fake-provider.js';
import { startTestSystem, TEST_ADMIN_TOKEN, type TestSystem, waitFor } from '../support/system.js';
import { makeDeliveryCall } from './delivery-call.js';

describe('when a worker-only process has WORKER_METRICS_PORT', () => {
  let system: TestSystem;
  let delivery: FakeProvider;
  let metricsUrl: string;
  beforeAll(async () => {
    delivery = new FakeProvider();
    const base = await delivery.start();
    delivery.route('POST', '/deliveries', () => ({ status: 202, body: { accepted: true } }));
    system = await startTestSystem({
      web: false,
      worker: true,
      env: { WORKER_METRICS_PORT: '0', DELIVERY_WEBHOOK_URL: `${base}/deliveries` },
    });
    expect(system.process.port).toBeUndefined();
    metricsUrl = `http://127.0.0.1:${system.process.metricsAddress?.port ?? 0}`;
  });
  afterAll(async () => {
    await system?.stop();
    await delivery?.close();
  });

  it('listens on loopback by default', () => {
    expect(system.process.metricsAddress).toEqual({ address: '127.0.0.1', port: expect.any(Number) });
    expect(system.process.metricsAddress?.port).toBeGreaterThan(0);
  });

  it('answers GET /health without a token', async () => {
    const res = await fetch(`${metricsUrl}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('refuses GET /metrics without the admin token or with a wrong one, in the error envelope', async () => {
    const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer not-the-admin-token-at-all' }];
    for (const headers of attempts) {
      const res = await fetch(`${metricsUrl}/metrics`, { headers });
      expect(res.status).toBe(401);
      const body = (await res.json()) as { error: { code: string; requestId: string } };
      expect(body.error.code).toBe('unauthorized');
      expect(body.error.requestId).toBe(res.headers.get('x-request-id'));
    }
  });

  it('answers 404 in the error envelope for any other path', async () => {
    const res = await fetch(`${metricsUrl}/admin/metrics`, {
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it('serves the provider calls this process made, with the admin token', async () => {
    await makeDeliveryCall(system.db, delivery, 'worker-metrics-1');

    const text = await waitFor(async () => {
      const res = await fetch(`${metricsUrl}/metrics`, {
        headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      const t = await res.text();
      return t.includes('provider="delivery"') ? t : undefined;
    });
    expect(text).toMatch(
      /ordergate_provider_call_duration_seconds_count\{provider="delivery",method="POST",endpoint="\/deliveries",outcome="202"\} 1/,
    );
    expect(text).toContain('ordergate_process_cpu_user_seconds_total');
  });

  it('stops listening when the process stops (the SIGTERM path)', async () => {
    await system.stopProcess();
    const refused = await fetch(`${metricsUrl}/health`).then(
      () => false,
      () => true,
    );
    expect(refused).toBe(true);
  });
});

describe.each<{ name: string; web: boolean; env: Record<string, string>; outcome: string; address?: string }>(
  [
    {
      name: 'a worker-only process without WORKER_METRICS_PORT',
      web: false,
      env: {},
      outcome: 'opens no metrics server',
      address: undefined,
    },
    {
      name: 'a process that also runs the gateway, with WORKER_METRICS_PORT',
      web: true,
      env: { WORKER_METRICS_PORT: '0' },
      outcome: 'opens no metrics server (the gateway has /admin/metrics)',
      address: undefined,
    },
    {
      name: 'a worker-only process with WORKER_METRICS_HOST=0.0.0.0',
      web: false,
      env: { WORKER_METRICS_PORT: '0', WORKER_METRICS_HOST: '0.0.0.0' },
      outcome: 'binds the metrics server to that address',
      address: '0.0.0.0',
    },
  ],
)('when $name starts', ({ web, env, outcome, address }) => {
  let system: TestSystem | undefined;
  afterAll(async () => {
    await system?.stop();
  });

  it(outcome, async () => {
    system = await startTestSystem({ web, worker: true, env });
    expect(system.process.metricsAddress?.address).toBe(address);
  });
});
