import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { AppError } from '../lib/errors.js';
import { parseJsonText, type RawJson, requireJsonContentType } from './input.js';

const HEX_SHA256 = /^[0-9a-f]{64}$/i;

export interface SignedBodyOptions {
  /** Human name of the header, for error messages (`X-Go-Signature`). */
  header: string;
  /** The header's value as received. */
  signature: string | undefined;
  /**
   * Every secret currently accepted: the current one and, while a rotation is under way, the next one. Unset
   * entries are skipped; none set means the channel is not configured (401).
   */
  secrets: readonly (string | undefined)[];
  /** A prefix the channel puts before the hex digest (`sha256=`); the header must carry it. */
  prefix?: string;
  /** The largest body accepted on this route (webhooks have their own, smaller limit). */
  maxBytes: number;
  /** The 401 message when no secret is configured (`GoFood notifications are not configured`). */
  notConfigured?: string;
}

/**
 * The 32-byte digest of a signature header, or undefined unless it is exactly the prefix followed by 64 hex
 * characters: a digest with trailing junk (`<valid>zz`) is not a signature.
 */
export function parseHexSignature(value: string | undefined, prefix = ''): Buffer | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (prefix && !trimmed.toLowerCase().startsWith(prefix.toLowerCase())) return undefined;
  const hex = trimmed.slice(prefix.length);
  return HEX_SHA256.test(hex) ? Buffer.from(hex, 'hex') : undefined;
}

/**
 * Whether `digest` is the HMAC-SHA256 of `body` under one of `secrets`. Every secret is tried (constant-time
 * compare each), so the timing tells neither whether nor which one matched.
 */
export function hmacMatches(
  digest: Buffer,
  body: Uint8Array,
  secrets: readonly (string | undefined)[],
): boolean {
  let matched = false;
  for (const secret of secrets) {
    if (!secret) continue;
    const expected = createHmac('sha256', secret).update(body).digest();
    if (expected.length === digest.length && timingSafeEqual(expected, digest)) matched = true;
  }
  return matched;
}

/**
 * Reads at most `maxBytes` of the body. A Content-Length over the limit is refused before a byte is read; a
 * chunked body is counted as it streams and abandoned at the limit.
 */
export async function readBodyBytes(c: Context, maxBytes: number): Promise<Uint8Array> {
  const tooLarge = () => {
    c.header('Connection', 'close');
    return new AppError('payload_too_large', `request body exceeds ${maxBytes} bytes`);
  };
  const length = c.req.header('content-length');
  if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
    const size = Number(length);
    if (!Number.isSafeInteger(size) || size > maxBytes) throw tooLarge();
    return new Uint8Array(await c.req.arrayBuffer());
  }
  const stream = c.req.raw.body;
  if (!stream) return new Uint8Array(0);
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

/**
 * The raw bytes of a signed webhook, returned only once they are authentic. The order of checks is the
 * control: the header's shape (401, nothing read), the size (413), the HMAC over the exact bytes received
 * (401), and only then does anything look inside the body. An unauthenticated sender cannot make us parse.
 */
export async function readSignedBody(c: Context, options: SignedBodyOptions): Promise<Uint8Array> {
  if (!options.secrets.some((s) => s)) {
    throw new AppError(
      'unauthorized',
      options.notConfigured ?? `${options.header} cannot be verified: no secret is configured`,
    );
  }
  if (options.signature === undefined) {
    throw new AppError('unauthorized', `the ${options.header} header is required`);
  }
  const digest = parseHexSignature(options.signature, options.prefix);
  if (!digest) {
    const shape = `${options.prefix ?? ''}<64 hex characters>`;
    throw new AppError('unauthorized', `${options.header} must be ${shape}`);
  }
  const body = await readBodyBytes(c, options.maxBytes);
  if (!hmacMatches(digest, body, options.secrets)) {
    throw new AppError('unauthorized', `${options.header} does not match the body`);
  }
  return body;
}

/**
 * `readSignedBody`, then the JSON rules of every other body (Content-Type, UTF-8, syntax, depth). The
 * Content-Type is a header, so it is checked first; the body is parsed only after the signature matched.
 */
export async function readSignedJson(c: Context, options: SignedBodyOptions): Promise<RawJson> {
  requireJsonContentType(c);
  const body = await readSignedBody(c, options);
  return parseJsonText(body);
}
