import { createHmac } from 'node:crypto';
import type { Config } from '../../config.js';
import { sha256Hex } from '../../lib/crypto.js';
import type { PushContract } from '../types.js';

const TEST_SECRET = 'contract-storefront-jwt-secret-0123456789';

/** An HS256 JWT, signed synchronously (the suite's headers are built without awaiting). */
function hs256(payload: Record<string, unknown>, secret: string): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(payload)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

const address = { name: 'A', line1: '1 Road', city: 'Pune', postalCode: '411001', country: 'IN' };

/** The checkout, pushed by our own storefront's customers: a customer JWT and an Idempotency-Key. */
export const storefrontContract: PushContract = {
  path: '/storefront/checkout',
  testEnv: { STOREFRONT_JWT_SECRET: TEST_SECRET },
  sampleBody: (n) =>
    JSON.stringify({
      items: [{ sku: `CONTRACT-${n}`, quantity: 1 }],
      shippingAddress: address,
      billingAddress: address,
      customer: { name: 'Contract', email: `c${n}@example.in` },
    }),
  authorise: (raw, config: Config) => ({
    authorization: `Bearer ${hs256({ sub: 'contract-customer' }, config.STOREFRONT_JWT_SECRET ?? '')}`,
    'idempotency-key': `contract-${sha256Hex(raw).slice(0, 32)}`,
  }),
  forge: (raw) => ({
    authorization: `Bearer ${hs256({ sub: 'contract-customer' }, 'not-the-storefront-secret-0123456789')}`,
    'idempotency-key': `contract-${sha256Hex(raw).slice(0, 32)}`,
  }),
};
