import type { MiddlewareHandler } from 'hono';
import { bearerToken, constantTimeEqual } from '../lib/crypto.js';
import { AppError } from '../lib/errors.js';
import type { AppEnv } from './env.js';

/** `Authorization: Bearer $ADMIN_TOKEN`, compared in constant time. */
export function adminAuth(adminToken: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = bearerToken(c.req.header('authorization'));
    if (!token || !constantTimeEqual(token, adminToken)) {
      throw new AppError('unauthorized', 'a valid admin bearer token is required');
    }
    await next();
  };
}
