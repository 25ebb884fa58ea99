import { z } from 'zod';
import { optionalEnv } from '../../lib/env.js';

/** OneBasket settings; see docs/onebasket.md. */
export const onebasketEnvShape = {
  /** Key of the `X-OneBasket-Signature` HMAC; unset = every basket event is refused with 401. */
  ONEBASKET_WEBHOOK_SECRET: optionalEnv(z.string().min(16, 'must be at least 16 characters')),
  /** Bearer token of OneBasket's front end for `GET /api/onebasket/orders/:basketId`; unset = 401. */
  ONEBASKET_API_TOKEN: optionalEnv(z.string().min(16, 'must be at least 16 characters')),
  /** Budget of one call to a provider system. */
  ONEBASKET_PROVIDER_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  /** How long a provider order may stay Sent before reconciliation opens an intervention for it. */
  ONEBASKET_UNANSWERED_AFTER_MS: z.coerce
    .number()
    .int()
    .nonnegative()
    .default(30 * 60_000),
};
