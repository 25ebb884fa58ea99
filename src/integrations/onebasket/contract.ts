import { hmacSha256Hex } from '../../lib/crypto.js';
import type { PushContract } from '../types.js';

/** OneBasket signs each basket event's raw body (`X-OneBasket-Signature: sha256=<hex HMAC-SHA256>`). */
export const onebasketContract: PushContract = {
  path: '/webhooks/onebasket',
  testEnv: { ONEBASKET_WEBHOOK_SECRET: 'contract-onebasket-webhook-secret-0123456789' },
  sampleBody: (n) =>
    JSON.stringify({
      eventId: `contract-ob-${n}`,
      type: 'BasketCreated',
      occurredAt: '2026-12-04T10:00:00Z',
      basket: {
        id: `basket-contract-${n}`,
        currency: 'EUR',
        customer: { id: 'cust-contract' },
        providerBaskets: [
          { providerId: 'prov-a', items: [{ sku: 'A-1', name: 'A', quantity: 1, unitPrice: 500 }] },
        ],
      },
    }),
  authorise: (raw, config) => ({
    'x-onebasket-signature': `sha256=${hmacSha256Hex(config.ONEBASKET_WEBHOOK_SECRET ?? '', raw)}`,
  }),
  forge: (raw) => ({ 'x-onebasket-signature': `sha256=${hmacSha256Hex('not-the-onebasket-secret', raw)}` }),
};
