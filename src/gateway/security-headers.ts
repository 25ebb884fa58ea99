import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../http/env.js';

/**
 * Headers on every response: `nosniff` (a JSON body holding customer data is never run as a script or
 * page); `Cache-Control: no-store` on JSON (admin and customer answers carry names, phones and addresses,
 * and no browser or proxy cache may keep them); `frame-ancestors 'none'` on HTML pages (the dashboard and
 * the sign-in form cannot be framed for click-jacking). A route that set its own Cache-Control keeps it.
 */
export function securityHeaders(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    // `c.header` after the handler rewrites the finished response (whose headers may be immutable).
    c.header('X-Content-Type-Options', 'nosniff');
    const type = c.res.headers.get('content-type') ?? '';
    if (/^text\/html\b/i.test(type)) {
      c.header('Content-Security-Policy', "frame-ancestors 'none'");
      c.header('X-Frame-Options', 'DENY');
    }
    if (/\bjson\b/i.test(type) && !c.res.headers.has('cache-control')) c.header('Cache-Control', 'no-store');
  };
}
