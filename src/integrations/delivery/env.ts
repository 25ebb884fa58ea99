import { z } from 'zod';
import { optionalEnv } from '../../lib/env.js';

/** Trimmed (a secret read from a file ends in a newline); blank = unset. */
const optionalSecret = optionalEnv(z.string().min(1));

/** The delivery hand-off's settings; see "Delivery webhook" in docs/security.md. */
export const deliveryEnvShape = {
  /** Where the `delivery.*` messages are POSTed (the delivery domain); unset = not sent. */
  DELIVERY_WEBHOOK_URL: optionalEnv(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' })),
  /** Key of the `X-Ordergate-Signature` HMAC on every delivery webhook; unset = sent unsigned (not in production). */
  DELIVERY_WEBHOOK_SECRET: optionalSecret,
  /** The next key during a rotation: while it is set every webhook carries a signature under each key. */
  DELIVERY_WEBHOOK_SECRET_NEXT: optionalSecret,
};

export type DeliveryEnv = { NODE_ENV: string } & z.infer<z.ZodObject<typeof deliveryEnvShape>>;

/**
 * What the delivery settings may not be: a next key without a current one (in any environment); in production,
 * a webhook URL that is not https (the body carries order data) or one without a signing key (a receiver could
 * not tell our webhooks from anyone's). Length and reuse of the key are the general secret rules.
 */
export function deliveryEnvProblems(env: DeliveryEnv): string[] {
  const problems: string[] = [];
  if (env.DELIVERY_WEBHOOK_SECRET_NEXT && !env.DELIVERY_WEBHOOK_SECRET) {
    problems.push(
      'DELIVERY_WEBHOOK_SECRET_NEXT: set DELIVERY_WEBHOOK_SECRET too (the key being rotated away)',
    );
  }
  if (env.NODE_ENV !== 'production' || !env.DELIVERY_WEBHOOK_URL) return problems;
  if (new URL(env.DELIVERY_WEBHOOK_URL).protocol !== 'https:') {
    problems.push('DELIVERY_WEBHOOK_URL: must be https when NODE_ENV=production');
  }
  if (!env.DELIVERY_WEBHOOK_SECRET) {
    problems.push(
      'DELIVERY_WEBHOOK_SECRET: required when DELIVERY_WEBHOOK_URL is set and NODE_ENV=production',
    );
  }
  return problems;
}
