import type { PushContract } from '../types.js';

/** The market token a test system runs with. */
const TEST_MARKET_TOKEN = 'contract-ys-market-token-0123456789';

/** Yemeksepeti pushes a whole order body, authorised by its category's bearer token. */
export const yemeksepetiContract: PushContract = {
  path: '/api/v2/yemeksepeti/order/create',
  testEnv: { YEMEKSEPETI_MARKET_TOKEN: TEST_MARKET_TOKEN },
  sampleBody: (n) =>
    JSON.stringify({
      order_id: `contract-ys-${n}`,
      status: 'RECEIVED',
      client: { store_id: 'contract-store' },
      items: [{ sku: 'SKU-1', name: 'Tea', pricing: { unit_price: '10.00', quantity: 1 } }],
    }),
  authorise: (_raw, config) => ({ authorization: `Bearer ${config.YEMEKSEPETI_MARKET_TOKEN ?? ''}` }),
  forge: () => ({ authorization: 'Bearer not-the-yemeksepeti-token-0123456789' }),
};
