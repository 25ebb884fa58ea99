import { hmacSha256Hex } from '../../lib/crypto.js';
import type { PushContract } from '../types.js';

/** GoBiz signs each notification's raw body (X-Go-Signature, hex HMAC-SHA256). */
export const gofoodContract: PushContract = {
  path: '/webhooks/gofood',
  testEnv: { GOFOOD_NOTIFICATION_SECRET: 'contract-gofood-notification-secret-0123456789' },
  sampleBody: (n) =>
    JSON.stringify({
      header: { event_name: 'gofood.order.awaiting_merchant_acceptance', event_id: `contract-gf-${n}` },
      body: { order: { order_number: `F-contract-${n}`, currency: 'IDR', order_total: 10000 } },
    }),
  authorise: (raw, config) => ({
    'x-go-signature': hmacSha256Hex(config.GOFOOD_NOTIFICATION_SECRET ?? '', raw),
  }),
  forge: (raw) => ({ 'x-go-signature': hmacSha256Hex('not-the-gofood-secret', raw) }),
};
