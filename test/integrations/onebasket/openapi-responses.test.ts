import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  basketEvent,
  FakeProviderSystem,
  onebasketEnv,
  sendBasketEvent,
} from '../../support/fake-onebasket.js';
import { readServedDocument, type ServedDocument } from '../../support/openapi.js';
import { startTestSystem, type TestSystem, waitFor } from '../../support/system.js';
import { basketView, customerView, deliver, onebasketOrder } from './helpers.js';

let system: TestSystem;
let served: ServedDocument;
const shop = new FakeProviderSystem('docshop', { lock: 'grant', order: 'confirm', supportsCallbacks: false });

beforeAll(async () => {
  system = await startTestSystem({ env: onebasketEnv });
  served = await readServedDocument(system.baseUrl);
  await shop.start();
});

afterAll(async () => {
  await system?.stop();
  await shop.close();
});

describe("OneBasket's answers in the OpenAPI document", () => {
  it('gives the customer status, provider and basket answers a schema of their own fields', () => {
    expect(
      served.undescribed([
        ['get', '/api/onebasket/orders/{basketId}', [200]],
        ['put', '/admin/providers/{providerId}', [200]],
        ['get', '/admin/providers/{providerId}', [200]],
        ['get', '/admin/onebasket/baskets/{id}', [200]],
      ]),
    ).toEqual([]);
  });

  it('documents the provider registry, the basket view and the customer status as the gateway sends them', async () => {
    const registration = {
      name: 'Documented shop',
      baseUrl: shop.http.baseUrl,
      callbackToken: shop.token,
      supportsCallbacks: false,
    };
    const put = await served.expectDocumented(
      'put',
      '/admin/providers/{providerId}',
      await system.admin('/admin/providers/docshop', {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(registration),
      }),
      200,
    );
    expect(put).toMatchObject({ providerId: 'docshop', name: 'Documented shop' });
    await served.expectDocumented(
      'get',
      '/admin/providers/{providerId}',
      await system.admin('/admin/providers/docshop'),
      200,
    );

    const basket = {
      id: 'basket-openapi',
      providers: { docshop: [{ sku: 'D', name: 'Documented', quantity: 2, unitPrice: 750 }] },
    };
    const withIntent = { ...basket, paymentIntent: { id: 'pi-openapi', amount: 1500 } };
    await deliver(system, basketEvent('BasketCreated', basket));
    await deliver(system, basketEvent('PaymentIntentCreated', withIntent));
    await waitFor(async () =>
      (await basketView(system, basket.id)).paymentIntent?.state === 'locked' ? 1 : 0,
    );
    const view = await served.expectDocumented(
      'get',
      '/admin/onebasket/baskets/{id}',
      await system.admin(`/admin/onebasket/baskets/${basket.id}`),
      200,
    );
    expect(view).toMatchObject({ state: 'immutable', completedAt: null });
    expect((view.history as unknown[]).length).toBeGreaterThan(0);

    expect((await sendBasketEvent(system, basketEvent('BasketComplete', withIntent))).status).toBe(202);
    // Whichever it is yet (received, or the order with its provider orders), it is documented.
    await served.expectDocumented(
      'get',
      '/api/onebasket/orders/{basketId}',
      await customerView(system, basket.id),
      200,
    );
    await onebasketOrder(system, basket.id);
    const status = await waitFor(async () => {
      const answer = await served.expectDocumented(
        'get',
        '/api/onebasket/orders/{basketId}',
        await customerView(system, basket.id),
        200,
      );
      const orders = answer.providerOrders as { processing: string }[];
      return orders[0]?.processing === 'confirmed' ? answer : undefined;
    });
    expect(status).toMatchObject({ basketId: basket.id, total: 1500, refunded: 0 });
    const completed = await served.expectDocumented(
      'get',
      '/admin/onebasket/baskets/{id}',
      await system.admin(`/admin/onebasket/baskets/${basket.id}`),
      200,
    );
    expect(completed).toMatchObject({ state: 'completed', orderId: expect.any(String) });
  });
});
