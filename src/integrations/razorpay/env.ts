import { z } from 'zod';
import { optionalEnv } from '../../lib/env.js';

const optionalString = optionalEnv(z.string().min(1));

/** Razorpay settings; see docs/storefront.md. */
export const razorpayEnvShape = {
  RAZORPAY_API_URL: z
    .url()
    .default('https://api.razorpay.com')
    .transform((v) => v.replace(/\/+$/, '')),
  /** Basic-auth credentials of the API; unset = the orders and refunds are not sent (timeline says so). */
  RAZORPAY_KEY_ID: optionalString,
  RAZORPAY_KEY_SECRET: optionalString,
  /** Key of the `X-Razorpay-Signature` HMAC; unset = every webhook is refused with 401. */
  RAZORPAY_WEBHOOK_SECRET: optionalString,
};
