import { z } from 'zod';
import { optionalEnv } from '../lib/env.js';
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
  /** Where `delivery.requested` outbox messages are POSTed (the delivery domain); unset = not sent. */
  DELIVERY_WEBHOOK_URL: optionalEnv(z.url()),
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
