import { hmacSha256Hex, sha256Hex } from '../../lib/crypto.js';
import type { PushContract } from '../types.js';

/** Razorpay's webhook: `X-Razorpay-Signature` over the raw body and `X-Razorpay-Event-Id`. */
export const razorpayContract: PushContract = {
  path: '/webhooks/razorpay',
  testEnv: { RAZORPAY_WEBHOOK_SECRET: 'contract-razorpay-webhook-secret' },
  sampleBody: (n) =>
    JSON.stringify({
      entity: 'event',
      account_id: 'acc_contract',
      event: 'payment.captured',
      contains: ['payment'],
      payload: {
        payment: {
          entity: {
            id: `pay_contract${n}`,
            order_id: `order_contract${n}`,
            amount: 100,
            currency: 'INR',
            notes: [],
          },
        },
      },
      created_at: 1_767_000_000 + n,
    }),
  authorise: (raw, config) => ({
    'x-razorpay-signature': hmacSha256Hex(config.RAZORPAY_WEBHOOK_SECRET ?? '', raw),
    'x-razorpay-event-id': `evt_${sha256Hex(raw).slice(0, 14)}`,
  }),
  forge: (raw) => ({
    'x-razorpay-signature': hmacSha256Hex('not-the-webhook-secret', raw),
    'x-razorpay-event-id': `evt_${sha256Hex(raw).slice(0, 14)}`,
  }),
};
