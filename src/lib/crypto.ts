import { createHmac, hash, timingSafeEqual } from 'node:crypto';

/** Digests of configured secrets: a process has a handful, and each request would hash them again. */
const secretDigests = new Map<string, Buffer>();

function secretDigest(secret: string): Buffer {
  let digest = secretDigests.get(secret);
  if (!digest) {
    if (secretDigests.size >= 64) secretDigests.clear();
    digest = hash('sha256', secret, 'buffer');
    secretDigests.set(secret, digest);
  }
  return digest;
}

/**
 * The index of the configured secret `given` equals, or -1. Every configured secret is compared (in
 * constant time, through digests), so the timing says neither whether nor which one matched; `given` is
 * hashed once per call, the configured ones once per process.
 */
export function matchSecret(given: string, secrets: readonly (string | undefined)[]): number {
  const digest = hash('sha256', given, 'buffer');
  let found = -1;
  secrets.forEach((secret, index) => {
    if (secret === undefined) return;
    const equal = timingSafeEqual(digest, secretDigest(secret)) && given.length === secret.length;
    if (equal && found === -1) found = index;
  });
  return found;
}

export function sha256Hex(data: string | Uint8Array): string {
  // The one-shot form: no Hash object per call (this runs for every push without a provider event id).
  return hash('sha256', data, 'hex');
}

export function hmacSha256Hex(secret: string, data: string | Uint8Array): string {
  return createHmac('sha256', secret).update(data).digest('hex');
}

/** Extracts the token of an `Authorization: Bearer <token>` header. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  return match?.[1]?.trim();
}
