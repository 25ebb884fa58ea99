import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basketEvent, onebasketEnv, sendBasketEvent } from '../../support/fake-onebasket.js';
import { readServedDocument } from '../../support/openapi.js';
import { startTestSystem, type TestSystem } from '../../support/system.js';
import { customerView } from './helpers.js';

// The gateway alone: no worker ever processes what it stores.
let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem({ worker: false, env: onebasketEnv });
});

afterAll(async () => {
  await system?.stop();
});

describe('GET /api/onebasket/orders/:basketId', () => {
  describe('when the BasketComplete push is stored but not yet processed', () => {
    it('answers 200: received and will be processed shortly, as the document describes it', async () => {
      const basket = {
        id: 'basket-just-paid',
        providers: { shop: [{ sku: 'A', name: 'A', quantity: 1, unitPrice: 100 }] },
      };
      expect((await sendBasketEvent(system, basketEvent('BasketComplete', basket))).status).toBe(202);
      const served = await readServedDocument(system.baseUrl);
      const res = await customerView(system, basket.id);
      const answer = await served.expectDocumented('get', '/api/onebasket/orders/{basketId}', res, 200);
      expect(answer).toEqual({
        basketId: basket.id,
        status: 'received',
        message: 'Your order has been received and will be processed shortly.',
        providerOrders: [],
      });
    });
  });

  describe('when the basket was never completed', () => {
    it('answers 404', async () => {
      await sendBasketEvent(system, basketEvent('BasketCreated', { id: 'basket-open', providers: {} }));
      expect((await customerView(system, 'basket-open')).status).toBe(404);
    });
  });

  describe('when the token is wrong', () => {
    it('answers 401', async () => {
      expect((await customerView(system, 'basket-just-paid', 'not-the-api-token-0123456789')).status).toBe(
        401,
      );
    });
  });
});
