import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/gateway/app.js';
import {
  documentedOperations,
  openApiPath,
  publicRoutes,
  undocumentedRoutes,
} from '../../src/http/openapi.js';
import { integrations } from '../../src/integrations/index.js';
import { startTestSystem, TEST_ADMIN_TOKEN, type TestSystem } from '../support/system.js';

type Json = Record<string, unknown>;

describe('the OpenAPI document and the reference page', () => {
  let system: TestSystem;
  let document: Json;
  const gateway = () =>
    createApp({ deps: system.process.services.gatewayDeps, integrations, adminToken: TEST_ADMIN_TOKEN });

  beforeAll(async () => {
    system = await startTestSystem({ worker: false });
    const res = await fetch(`${system.baseUrl}/openapi.json`);
    expect(res.status).toBe(200);
    document = (await res.json()) as Json;
  });

  afterAll(async () => {
    await system?.stop();
  });

  it('documents every route the gateway registers (else the message says what to add where)', () => {
    expect(undocumentedRoutes(gateway())).toEqual([]);
  });

  it('has an operation in /openapi.json for every registered route', () => {
    const paths = document.paths as Record<string, Json>;
    const missing = publicRoutes(gateway()).filter(
      (r) => !paths[openApiPath(r.path)]?.[r.method.toLowerCase()],
    );
    expect(missing).toEqual([]);
  });

  it('describes no route the gateway does not have', () => {
    const registered = new Set(publicRoutes(gateway()).map((r) => `${r.method} ${r.path}`));
    const stale = documentedOperations(gateway()).filter(
      (op) => !registered.has(`${op.method.toUpperCase()} ${op.path}`),
    );
    expect(stale.map((op) => `${op.method} ${op.path}`)).toEqual([]);
  });

  describe('when a route is added without documentation', () => {
    it('names it, with what to add and where', () => {
      const app = gateway();
      app.post('/admin/widgets/:id', (c) => c.json({}));
      const missing = undocumentedRoutes(app);
      expect(missing).toHaveLength(1);
      expect(missing[0]).toMatch(/^POST \/admin\/widgets\/:id: call documentRoute\(app, \{ method: 'post'/);
      expect(missing[0]).toContain('src/http/openapi.ts');
    });
  });

  it('passes the OpenAPI 3.1 schema validator', async () => {
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('states the authentication of every operation and answers errors in the envelope', () => {
    const paths = document.paths as Record<string, Record<string, Json>>;
    const manual = paths['/api/orders']?.post as Json;
    expect(manual.security).toEqual([{ admin: [] }]);
    expect(paths['/webhooks/gofood']?.post?.security).toEqual([{ gofoodSignature: [] }]);
    expect(paths['/api/v2/yemeksepeti/market/order/create']?.post?.security).toEqual([
      { yemeksepetiToken: [] },
    ]);
    expect(paths['/healthz']?.get?.security).toEqual([]);
    const responses = manual.responses as Record<string, Json>;
    expect(Object.keys(responses)).toEqual(expect.arrayContaining(['202', '200', '400', '401', '422']));
    expect(JSON.stringify(responses['422'])).toContain('#/components/schemas/ErrorEnvelope');
    expect(JSON.stringify(responses['422'])).toContain('idempotency_conflict');
  });

  it('takes request bodies from the zod schemas the routes validate with', () => {
    const paths = document.paths as Record<string, Record<string, Json>>;
    const body = JSON.stringify(paths['/api/orders']?.post?.requestBody);
    for (const field of ['externalOrderId', 'unitPrice', 'shippingTotal', 'paid', 'warehouse'])
      expect(body).toContain(field);
    const stock = JSON.stringify(paths['/admin/warehouses/{code}/stock']?.put?.requestBody);
    expect(stock).toContain('onHand');
  });

  it('renders /docs as one self-contained page listing every operation', async () => {
    const res = await fetch(`${system.baseUrl}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await res.text();
    for (const path of Object.keys(document.paths as Json)) expect(page).toContain(path);
    // Nothing loaded from elsewhere: no script, stylesheet, image or font reference at all.
    expect(page).not.toMatch(/<script|<link|<img|src=|@import|url\(/i);
  });
});
