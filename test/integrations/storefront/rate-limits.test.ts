import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, startTestSystem, type TestSystem } from '../../support/system.js';
import { checkoutBody, customerToken, JWT_SECRET } from './helpers.js';

// Two gateway processes on one Redis and one queue prefix: what each counts, the other sees.
let first: TestSystem;
let second: TestSystem;
beforeAll(async () => {
  const env = {
    QUEUE_PREFIX: `{og-test-${randomUUID().slice(0, 8)}}`,
    STOREFRONT_JWT_SECRET: JWT_SECRET,
    STOREFRONT_CHECKOUT_LIMIT_PER_CUSTOMER: '2',
    STOREFRONT_CHECKOUT_LIMIT_PER_IP: '5',
  };
  [first, second] = await Promise.all([
    startTestSystem({ worker: false, env }),
    startTestSystem({ worker: false, env }),
  ]);
});
afterAll(async () => {
  await first?.stop();
  await second?.stop();
});

async function checkoutAt(system: TestSystem, customer: string): Promise<Response> {
  return postJson(`${system.baseUrl}/storefront/checkout`, checkoutBody([{ sku: 'ANY-1', quantity: 1 }]), {
    authorization: `Bearer ${await customerToken(customer)}`,
    'idempotency-key': `limit-${randomUUID()}`,
  });
}

describe('when checkouts are spread over two gateway processes', () => {
  it('holds the per-customer and the per-address limit across them, answering 429 with Retry-After', async () => {
    const statuses = async (calls: [TestSystem, string][]) => {
      const answers: Response[] = [];
      for (const [system, customer] of calls) answers.push(await checkoutAt(system, customer));
      return answers;
    };

    // One customer: two checkouts, one on each process, then the limit.
    const own = await statuses([
      [first, 'limited-1'],
      [second, 'limited-1'],
      [first, 'limited-1'],
    ]);
    expect(own.map((r) => r.status)).toEqual([202, 202, 429]);

    // Other customers from the same address: the address's five are used up by the sixth checkout.
    const address = await statuses([
      [second, 'limited-2'],
      [first, 'limited-3'],
      [second, 'limited-4'],
      [first, 'limited-5'],
    ]);
    expect(address.map((r) => r.status)).toEqual([202, 202, 202, 429]);

    for (const refused of [own[2], address[3]]) {
      expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await refused?.json()).toMatchObject({ error: { code: 'rate_limited' } });
    }
  });
});
