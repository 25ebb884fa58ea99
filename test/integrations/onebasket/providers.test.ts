import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeProviderSystem, onebasketEnv } from '../../support/fake-onebasket.js';
import { startTestSystem, type TestSystem } from '../../support/system.js';

// The gateway alone: the registry and who may call the provider events endpoint.
let system: TestSystem;
const shop = new FakeProviderSystem('reg-shop', { lock: 'grant', order: 'confirm', supportsCallbacks: true });

beforeAll(async () => {
  system = await startTestSystem({ worker: false, env: onebasketEnv });
  await shop.start();
  await shop.register(system);
});

afterAll(async () => {
  await system?.stop();
  await shop.close();
});

const putProvider = (providerId: string, body: unknown) =>
  system.admin(`/admin/providers/${providerId}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

const registration = {
  name: 'Shop',
  baseUrl: 'http://127.0.0.1:9/',
  callbackToken: 'a-callback-token-0123456789',
  supportsCallbacks: true,
};

describe('PUT /admin/providers/:providerId', () => {
  it('answers the provider without its callback token, and GET reads it back the same', async () => {
    const res = await putProvider('reg-new', registration);
    expect(res.status).toBe(200);
    const expected = {
      providerId: 'reg-new',
      name: 'Shop',
      baseUrl: 'http://127.0.0.1:9',
      supportsCallbacks: true,
    };
    expect(await res.json()).toMatchObject(expected);
    const read = await system.admin('/admin/providers/reg-new');
    const body = (await read.json()) as Record<string, unknown>;
    expect(body).toMatchObject(expected);
    expect(JSON.stringify(body)).not.toContain(registration.callbackToken);
  });

  for (const [condition, body] of [
    ['the base URL is not http(s)', { ...registration, baseUrl: 'ftp://shop.example' }],
    ['the callback token is shorter than 16 characters', { ...registration, callbackToken: 'short' }],
    ['supportsCallbacks is missing', { ...registration, supportsCallbacks: undefined }],
    ['the body has a field the registry does not know', { ...registration, colour: 'red' }],
  ] as const) {
    describe(`when ${condition}`, () => {
      it('answers 400 and registers nothing', async () => {
        const id = `reg-bad-${randomUUID().slice(0, 8)}`;
        const res = await putProvider(id, body);
        expect(res.status).toBe(400);
        expect((await system.admin(`/admin/providers/${id}`)).status).toBe(404);
      });
    });
  }

  describe("when a provider's callback token is replaced", () => {
    it('takes events with the new token and answers the old one 401', async () => {
      const newToken = 'reg-shop-new-callback-token-0123456789';
      const oldToken = shop.token;
      const res = await putProvider(shop.id, {
        name: 'Provider reg-shop',
        baseUrl: shop.http.baseUrl,
        callbackToken: newToken,
        supportsCallbacks: true,
      });
      expect(res.status).toBe(200);
      const providerOrderId = randomUUID();
      const withOld = await shop.callback(system, providerOrderId, 'confirmed', { token: oldToken });
      expect(withOld.status).toBe(401);
      const withNew = await shop.callback(system, providerOrderId, 'confirmed', { token: newToken });
      expect(withNew.status).toBe(202);
    });
  });
});
