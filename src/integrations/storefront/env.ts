import { z } from 'zod';
import { optionalEnv } from '../../lib/env.js';

const minor = (fallback: number) => z.coerce.number().int().nonnegative().default(fallback);
const positive = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** Storefront settings; see docs/storefront.md. */
export const storefrontEnvShape = {
  /** Key of the customers' HS256 JWTs (`sub` = customer id); unset = every customer call is refused (401). */
  STOREFRONT_JWT_SECRET: optionalEnv(z.string().min(32, 'must be at least 32 characters')),
  /** The warehouse whose stock storefront orders reserve. */
  STOREFRONT_WAREHOUSE: z.string().trim().min(1).max(64).default('storefront'),
  STOREFRONT_CURRENCY: z
    .string()
    .regex(/^[A-Za-z]{3}$/, 'ISO 4217 code')
    .default('INR')
    .transform((c) => c.toUpperCase()),
  /** Shipping cost rule: this fee (minor units)… */
  STOREFRONT_SHIPPING_FEE: minor(5000),
  /** …free from this subtotal after discount (minor units); blank = never free. */
  STOREFRONT_FREE_SHIPPING_FROM: optionalEnv(z.coerce.number<string>().int().nonnegative()),
  /** How long an order waits for its payment before it is cancelled and its stock released. */
  STOREFRONT_PAYMENT_WINDOW_MS: positive(30 * 60_000),
  /** Checkouts one customer may start per window, and one client IP. */
  STOREFRONT_CHECKOUT_LIMIT_PER_CUSTOMER: positive(10),
  STOREFRONT_CHECKOUT_LIMIT_PER_IP: positive(30),
  STOREFRONT_CHECKOUT_WINDOW_MS: positive(60_000),
};
