import type { Context } from 'hono';
import { verify } from 'hono/jwt';
import type { Config } from '../../config.js';
import { bearerToken } from '../../lib/crypto.js';
import { AppError } from '../../lib/errors.js';

/**
 * The customer a storefront call acts for: `Authorization: Bearer <JWT>`, HS256 signed with
 * STOREFRONT_JWT_SECRET, `sub` = the customer's id (expiry and not-before are checked when present). Anything
 * else is 401.
 */
export async function customerOf(c: Context, config: Config): Promise<string> {
  const secret = config.STOREFRONT_JWT_SECRET;
  if (!secret) throw new AppError('unauthorized', 'storefront customer sign-in is not configured');
  const token = bearerToken(c.req.header('authorization'));
  if (!token) throw new AppError('unauthorized', 'a customer bearer token is required');
  let sub: unknown;
  try {
    sub = (await verify(token, secret, 'HS256')).sub;
  } catch {
    throw new AppError('unauthorized', 'the customer token is invalid or expired');
  }
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 200) {
    throw new AppError('unauthorized', 'the customer token names no customer (sub)');
  }
  return sub;
}
