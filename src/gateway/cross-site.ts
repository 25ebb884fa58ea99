import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../http/env.js';
import { AppError } from '../lib/errors.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isSafeMethod(method: string): boolean {
  return SAFE_METHODS.has(method.toUpperCase());
}

/**
 * Refuses a state-changing request that a browser sent from another site: `Sec-Fetch-Site: cross-site` or
 * `same-site` (a sibling subdomain is another site for us), or an `Origin` that is neither the gateway's own
 * host nor one of `allowedOrigins` (`null`, sent by sandboxed and file pages, is never ours). Clients that
 * are not browsers send neither header and pass; browsers always send `Origin` on a cross-origin POST.
 */
export function refuseCrossSite(allowedOrigins: readonly string[] = []): MiddlewareHandler<AppEnv> {
  const allowed = new Set(allowedOrigins);
  return async (c, next) => {
    if (!isSafeMethod(c.req.method)) {
      const site = c.req.header('sec-fetch-site')?.trim().toLowerCase();
      if (site === 'cross-site' || site === 'same-site') {
        throw new AppError('forbidden', 'cross-site requests cannot change anything here');
      }
      const origin = c.req.header('origin')?.trim();
      if (origin !== undefined && !allowed.has(origin) && !sameHost(origin, c.req.header('host'))) {
        throw new AppError('forbidden', 'requests from another origin cannot change anything here');
      }
    }
    await next();
  };
}

function sameHost(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host === host.toLowerCase();
  } catch {
    return false;
  }
}
