import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basketEvent, sendBasketEvent } from '../../support/fake-onebasket.js';
import { startTestSystem, type TestSystem } from '../../support/system.js';
import { customerView, inboxCount } from './helpers.js';

// The gateway alone, with neither ONEBASKET_WEBHOOK_SECRET nor ONEBASKET_API_TOKEN set.
let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem({ worker: false });
});

afterAll(async () => {
  await system?.stop();
});

interface ErrorBody {
  error: { code: string; message: string; requestId: string };
}

describe('when ONEBASKET_WEBHOOK_SECRET is unset', () => {
  it('answers a signed basket event 401 in the error envelope and stores nothing', async () => {
    expect(system.config.ONEBASKET_WEBHOOK_SECRET).toBeUndefined();
    const before = await inboxCount(system);
    const event = basketEvent('BasketComplete', {
      id: 'basket-unconfigured',
      providers: { shop: [{ sku: 'A', name: 'A', quantity: 1, unitPrice: 100 }] },
    });
    const res = await sendBasketEvent(system, event);
    expect(res.status).toBe(401);
    expect(((await res.json()) as ErrorBody).error).toEqual({
      code: 'unauthorized',
      message: 'OneBasket events are not configured',
      requestId: expect.any(String),
    });
    expect(await inboxCount(system)).toBe(before);
  });
});

describe('when ONEBASKET_API_TOKEN is unset', () => {
  it('answers the customer status route 401 in the error envelope, with the front end token or none', async () => {
    expect(system.config.ONEBASKET_API_TOKEN).toBeUndefined();
    for (const res of [
      await customerView(system, 'basket-unconfigured'),
      await fetch(`${system.baseUrl}/api/onebasket/orders/basket-unconfigured`),
    ]) {
      expect(res.status).toBe(401);
      expect(((await res.json()) as ErrorBody).error).toMatchObject({
        code: 'unauthorized',
        requestId: expect.any(String),
      });
    }
  });
});
