import { z } from 'zod';
import { optionalEnv } from '../../lib/env.js';

/** Yemeksepeti Mahalle settings. Market and Su are separate categories with their own tokens. */
export const yemeksepetiEnvShape = {
  /** Bearer token Yemeksepeti sends with Market orders; unset = Market webhooks are refused. */
  YEMEKSEPETI_MARKET_TOKEN: optionalEnv(z.string().min(16, 'must be at least 16 characters')),
  /** Bearer token Yemeksepeti sends with Su (water) orders; unset = Su webhooks are refused. */
  YEMEKSEPETI_SU_TOKEN: optionalEnv(z.string().min(16, 'must be at least 16 characters')),
  /** Partner API base URL (no trailing /v2); unset = nothing is sent to Yemeksepeti (calls fail into attention). */
  YEMEKSEPETI_API_URL: optionalEnv(z.url()),
  YEMEKSEPETI_CLIENT_ID: optionalEnv(z.string().min(1)),
  YEMEKSEPETI_CLIENT_SECRET: optionalEnv(z.string().min(1)),
  /** Chain id used when an order's payload has no client.chain_id. */
  YEMEKSEPETI_CHAIN_ID: optionalEnv(z.string().min(1)),
  /** Vendors each reconciliation run recovers, `chain:vendor,…`; unset = every mapped store under YEMEKSEPETI_CHAIN_ID. */
  YEMEKSEPETI_RECONCILE_VENDORS: optionalEnv(z.string().min(3)),
  /** Budget of one partner API call. */
  YEMEKSEPETI_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
};
