import { hmacSha256Hex } from '../../lib/crypto.js';

/** The header of a delivery webhook's signature: `t=<unix seconds>,v1=<hex>` (one `v1` per key). */
export const DELIVERY_SIGNATURE_HEADER = 'X-Ordergate-Signature';

/**
 * The signature header of a delivery webhook body sent at `at`: HMAC-SHA256 under each key of the string
 * `<t>.<body>`, so the timestamp is signed with the exact bytes sent and a receiver can refuse an old
 * request (a replay) as well as a changed one. During a rotation both keys sign, and a receiver holding
 * either verifies. Undefined without a key.
 */
export function deliverySignature(
  body: string,
  keys: readonly (string | undefined)[],
  at: Date,
): string | undefined {
  const t = Math.floor(at.getTime() / 1000);
  const signatures = keys.flatMap((key) => (key ? [`v1=${hmacSha256Hex(key, `${t}.${body}`)}`] : []));
  return signatures.length > 0 ? [`t=${t}`, ...signatures].join(',') : undefined;
}
