import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../http/env.js';
import { bearerToken, matchSecret } from '../lib/crypto.js';
import { AppError } from '../lib/errors.js';

/** The password of an `Authorization: Basic` header (the user name is ignored). */
function basicPassword(header: string | undefined): string | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header?.trim() ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 ? decoded.slice(colon + 1) : undefined;
}

/**
 * `Authorization: Bearer $ADMIN_TOKEN`, compared in constant time. Browsers (the job dashboard) may send the
 * token as the Basic-auth password instead; a 401 on a page asks them to.
 */
export function adminAuth(adminToken: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    const token = bearerToken(header) ?? basicPassword(header);
    if (!token || matchSecret(token, [adminToken]) !== 0) {
      if ((c.req.header('accept') ?? '').includes('text/html')) {
        c.header('WWW-Authenticate', 'Basic realm="ordergate admin", charset="UTF-8"');
      }
      throw new AppError('unauthorized', 'a valid admin bearer token is required');
    }
    await next();
  };
}
