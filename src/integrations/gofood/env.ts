import { z } from 'zod';
import { optionalEnv } from '../../lib/env.js';

/** Trimmed (a secret read from a file ends in a newline); blank = unset. */
const optionalString = optionalEnv(z.string().min(1));

const optionalUrl = optionalEnv(z.url().transform((v) => v.replace(/\/+$/, '')));

/** GoFood (GoBiz) settings; see docs/gofood.md. Unset credentials disable the matching half of the flow. */
export const gofoodEnvShape = {
  /** Key of the `X-Go-Signature` HMAC; unset = every notification is refused with 401. */
  GOFOOD_NOTIFICATION_SECRET: optionalString,
  /** OAuth server base URL; the token endpoint is `$GOFOOD_OAUTH_URL/oauth2/token`. */
  GOFOOD_OAUTH_URL: optionalUrl,
  /** GoBiz API base URL. */
  GOFOOD_API_URL: optionalUrl,
  GOFOOD_CLIENT_ID: optionalString,
  GOFOOD_CLIENT_SECRET: optionalString,
  /** Our deadline for `auto_accept_on_timeout` outlets (GoFood's own window is 1 minute). */
  GOFOOD_AUTO_ACCEPT_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
  /** Our deadline for `manual` outlets (GoFood's own window is 3 minutes). */
  GOFOOD_MANUAL_ACCEPT_TIMEOUT_MS: z.coerce.number().int().positive().default(180_000),
  /**
   * How long a manual-mode deadline rejection stays provisional: if GoFood has neither confirmed it
   * (`cancelled`) nor overruled it by then, the order is cancelled here.
   */
  GOFOOD_REJECTION_GRACE_MS: z.coerce.number().int().positive().default(600_000),
  /** `country_code` of the food-prepared call. */
  GOFOOD_COUNTRY_CODE: z
    .string()
    .regex(/^[A-Za-z]{2}$/, 'ISO 3166-1 alpha-2 code')
    .default('ID')
    .transform((v) => v.toUpperCase()),
};
