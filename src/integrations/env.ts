import { z } from 'zod';
import { type DeliveryEnv, deliveryEnvProblems, deliveryEnvShape } from './delivery/env.js';
import { gofoodEnvShape } from './gofood/env.js';
import { onebasketEnvShape } from './onebasket/env.js';
import { razorpayEnvShape } from './razorpay/env.js';
import { storefrontEnvShape } from './storefront/env.js';
import { yemeksepetiEnvShape } from './yemeksepeti/env.js';

/**
 * Environment variables owned by integrations, merged into the one config schema (src/config.ts). Each
 * integration exports its own zod shape from `<provider>/env.ts` and adds it here.
 */
export const integrationEnvShape = {
  ...deliveryEnvShape,
  /**
   * Hand new orders to the `subscriber-events` queue (SUBSCRIBER_EVENTS). Turn off where no
   * downstream service consumes it: unconsumed jobs would grow Redis without bound.
   */
  SUBSCRIBER_EVENTS: z.enum(['on', 'off']).default('on'),
  ...gofoodEnvShape,
  ...yemeksepetiEnvShape,
  ...onebasketEnvShape,
  ...storefrontEnvShape,
  ...razorpayEnvShape,
};

/** Problems of the integrations' settings taken together (after each variable passed its own schema). */
export function integrationEnvProblems(env: DeliveryEnv): string[] {
  return deliveryEnvProblems(env);
}
