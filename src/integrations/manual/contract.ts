import { sha256Hex } from '../../lib/crypto.js';
import type { PushContract } from '../types.js';

/** Our storefront and operators push with an admin token and an Idempotency-Key per order. */
export const manualContract: PushContract = {
  path: '/api/orders',
  testEnv: {},
  sampleBody: (n) =>
    JSON.stringify({
      externalOrderId: `contract-manual-${n}`,
      currency: 'TRY',
      items: [{ sku: 'SKU-1', name: 'Tea', quantity: 1, unitPrice: 1000 }],
    }),
  authorise: (raw, config) => ({
    authorization: `Bearer ${config.ADMIN_TOKEN ?? ''}`,
    'idempotency-key': `contract-${sha256Hex(raw).slice(0, 32)}`,
  }),
  forge: (raw) => ({
    authorization: 'Bearer not-the-admin-token-0123456789',
    'idempotency-key': `contract-${sha256Hex(raw).slice(0, 32)}`,
  }),
};
