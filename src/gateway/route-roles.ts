import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../http/env.js';
import { AppError } from '../lib/errors.js';
import { type Role, roleCovers } from '../lib/roles.js';

interface RouteRole {
  method: string;
  path: RegExp;
  role: Role;
}

/**
 * The role each admin route needs. Reads need `viewer` (the metrics endpoint also takes the scraper's own
 * token); acting on orders and on work already in flight needs `operator`; changing configuration needs
 * `admin`. A state-changing route not listed here needs `admin`: a new route is closed until it is placed.
 */
const routeRoles: readonly RouteRole[] = [
  { method: 'GET', path: /^\/admin\/metrics\/?$/, role: 'metrics' },
  // Signing out is open to every role.
  { method: 'DELETE', path: /^\/auth\/session\/?$/, role: 'viewer' },
  // Order actions (dispatch, cancel, refund, accept, reject, ready, resolve) and orders entered by hand.
  { method: 'POST', path: /^\/admin\/orders\/[^/]+\/[^/]+\/?$/, role: 'operator' },
  { method: 'POST', path: /^\/api\/orders\/?$/, role: 'operator' },
  { method: 'PATCH', path: /^\/admin\/orders\/[^/]+\/status\/?$/, role: 'operator' },
  // Settling what needs a person: resolving, acknowledging or replaying an intervention's cause.
  {
    method: 'POST',
    path: /^\/admin\/interventions\/[^/]+\/(resolve|acknowledge|replay)\/?$/,
    role: 'operator',
  },
  // Replays re-run work that already happened once; recovery and reconciliation read providers and flag or
  // repair orders, changing no setting.
  { method: 'POST', path: /^\/admin\/events\/[^/]+\/replay\/?$/, role: 'operator' },
  { method: 'POST', path: /^\/admin\/outbox\/[^/]+\/replay\/?$/, role: 'operator' },
  { method: 'POST', path: /^\/admin\/yemeksepeti\/recover\/?$/, role: 'operator' },
  { method: 'POST', path: /^\/admin\/reconciliation\/runs\/?$/, role: 'operator' },
  // The operator console's forms: the same acts as the API routes above, and resolving an intervention.
  { method: 'POST', path: /^\/admin\/console\/logout\/?$/, role: 'viewer' },
  { method: 'POST', path: /^\/admin\/console\/orders\/[^/]+\/actions\/[^/]+\/?$/, role: 'operator' },
  { method: 'POST', path: /^\/admin\/console\/(events|outbox)\/[^/]+\/replay\/?$/, role: 'operator' },
  { method: 'POST', path: /^\/admin\/console\/interventions\/[^/]+\/resolve\/?$/, role: 'operator' },
  // The job dashboard: retrying a failed job (one, or every failed job of a queue).
  { method: 'PUT', path: /^\/admin\/queues\/api\/queues\/[^/]+\/[^/]+\/retry\/?$/, role: 'operator' },
  { method: 'PUT', path: /^\/admin\/queues\/api\/queues\/[^/]+\/retry\/failed\/?$/, role: 'operator' },
  // Warehouses, their stock and store mappings, and GoFood outlet settings are configuration: `admin`
  // (the fallback below).
];

/** The role a request needs on the admin API. */
export function requiredRole(method: string, path: string): Role {
  const upper = method.toUpperCase();
  const listed = routeRoles.find((r) => r.method === upper && r.path.test(path));
  if (listed) return listed.role;
  return upper === 'GET' || upper === 'HEAD' ? 'viewer' : 'admin';
}

/** 403 unless the authenticated principal's role covers `needed`. */
export function assertRole(principal: { role: Role } | undefined, needed: Role): void {
  if (!principal) throw new AppError('unauthorized', 'a valid admin credential is required');
  if (!roleCovers(principal.role, needed)) {
    throw new AppError('forbidden', `this needs the ${needed} role; the credential has ${principal.role}`, {
      details: { needed, held: principal.role },
    });
  }
}

/**
 * For a route that needs more than the gateway's table gives it (a read that reveals configuration): place it
 * after the admin guard, `app.get(path, requireRole('admin'), handler)`.
 */
export function requireRole(needed: Role): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    assertRole(c.get('principal'), needed);
    await next();
  };
}
