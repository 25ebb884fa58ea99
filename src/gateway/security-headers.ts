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
    const headers = c.res.headers;
    const wanted: [string, string][] = [['X-Content-Type-Options', 'nosniff']];
    const type = headers.get('content-type') ?? '';
    if (/^text\/html\b/i.test(type)) {
      wanted.push(['Content-Security-Policy', "frame-ancestors 'none'"], ['X-Frame-Options', 'DENY']);
    }
    if (/\bjson\b/i.test(type) && !headers.has('cache-control')) wanted.push(['Cache-Control', 'no-store']);
    // The finished response's headers are set in place. `c.header` after the handler would rebuild the
    // response around its body as a web stream, which @hono/node-server then writes chunk by chunk: about a
    // tenth of the gateway's CPU per push. Only a response whose headers are immutable (one passed through
    // from `fetch`, a `Response.redirect`) is rebuilt that way.
    try {
      for (const [name, value] of wanted) headers.set(name, value);
    } catch {
      for (const [name, value] of wanted) c.header(name, value);
    }
  };
}
