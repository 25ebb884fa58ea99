import { createHmac, hash, timingSafeEqual } from 'node:crypto';

/** Compares two secrets in time independent of where they differ (length leaks only through hashing). */
export function constantTimeEqual(a: string, b: string): boolean {
  const ha = hash('sha256', a, 'buffer');
  const hb = hash('sha256', b, 'buffer');
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

export function sha256Hex(data: string | Uint8Array): string {
  // The one-shot form: no Hash object per call (this runs for every push without a provider event id).
  return hash('sha256', data, 'hex');
}

export function hmacSha256Hex(secret: string, data: string | Uint8Array): string {
  return createHmac('sha256', secret).update(data).digest('hex');
}

/** Verifies a hex HMAC-SHA256 signature of `body` in constant time. */
export function verifyHmacHex(
  secret: string,
  body: string | Uint8Array,
  signature: string | undefined,
): boolean {
  if (!signature) return false;
  const expected = Buffer.from(hmacSha256Hex(secret, body), 'hex');
  const given = Buffer.from(signature.trim().toLowerCase(), 'hex');
  if (given.length !== expected.length) return false;
  return timingSafeEqual(expected, given);
}

/** Extracts the token of an `Authorization: Bearer <token>` header. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  return match?.[1]?.trim();
}
