import { deliveryIntegration } from './delivery/index.js';
import { gofoodIntegration } from './gofood/index.js';
import { manualIntegration } from './manual/index.js';
import { onebasketIntegration } from './onebasket/index.js';
import { razorpayIntegration } from './razorpay/index.js';
import { storefrontIntegration } from './storefront/index.js';
import { subscribersIntegration } from './subscribers/index.js';
import type { Integration } from './types.js';
import { yemeksepetiIntegration } from './yemeksepeti/index.js';

/** Every integration the product runs. A new marketplace is a new folder and one line here. */
export const integrations: readonly Integration[] = [
  manualIntegration,
  gofoodIntegration,
  yemeksepetiIntegration,
  onebasketIntegration,
  deliveryIntegration,
  subscribersIntegration,
  storefrontIntegration,
  razorpayIntegration,
];
