import { timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { Config } from '../config.js';
import type { AppEnv } from '../http/env.js';
import { bearerToken, matchSecret, sha256Hex } from '../lib/crypto.js';
import { AppError } from '../lib/errors.js';
import type { Principal, Role } from '../lib/roles.js';
import { isSafeMethod } from './cross-site.js';
import { assertRole } from './route-roles.js';
import { CSRF_FIELD, CSRF_HEADERS, SESSION_COOKIE, type SessionStore } from './sessions.js';

/** One accepted API token and the role it carries. */
export interface Credential {
  token: string;
  role: Role;
  /** Names the token without revealing it (`adminActor`, logs). */
  id: string;
}

export function tokenFingerprint(token: string): string {
  return sha256Hex(token).slice(0, 12);
}

/**
 * Every token the admin API accepts: ADMIN_TOKEN (or the generated development token) and its rotation value
 * ADMIN_TOKEN_NEXT as `admin`, each ADMIN_TOKENS entry with its role, METRICS_TOKEN(_NEXT) as `metrics`.
 */
export function credentialsFromConfig(
  config: Pick<Config, 'ADMIN_TOKEN_NEXT' | 'ADMIN_TOKENS' | 'METRICS_TOKEN' | 'METRICS_TOKEN_NEXT'>,
  adminToken: string | undefined,
): Credential[] {
  const entries: { token: string | undefined; role: Role }[] = [
    { token: adminToken, role: 'admin' },
    { token: config.ADMIN_TOKEN_NEXT, role: 'admin' },
    ...(config.ADMIN_TOKENS ?? []),
    { token: config.METRICS_TOKEN, role: 'metrics' },
    { token: config.METRICS_TOKEN_NEXT, role: 'metrics' },
  ];
  return entries.flatMap(({ token, role }) => (token ? [{ token, role, id: tokenFingerprint(token) }] : []));
}

/** The password of an `Authorization: Basic` header (the user name is ignored). */
function basicPassword(header: string | undefined): string | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header?.trim() ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 ? decoded.slice(colon + 1) : undefined;
}

/** The CSRF field of a URL-encoded form body (read once; Hono keeps the parsed body for the handler). */
async function formCsrfToken(c: Context<AppEnv>): Promise<string | undefined> {
  if (!/^application\/x-www-form-urlencoded\b/i.test(c.req.header('content-type') ?? '')) return undefined;
  const field = (await c.req.parseBody())[CSRF_FIELD];
  return typeof field === 'string' ? field : undefined;
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export interface AdminAuthOptions {
  credentials: readonly Credential[];
  /** Browser sessions; without them only tokens are accepted (the worker's metrics server). */
  sessions?: SessionStore;
  /** The role a request needs (the gateway's route table); a fixed role for a single-purpose server. */
  requiredRole: (method: string, path: string) => Role;
  /** Called on every failed authentication (the per-IP limiter); may throw to refuse sooner. */
  onFailure?: (c: Context<AppEnv>) => Promise<void>;
  /** Called before checking credentials: refuses a client over its failure budget. */
  beforeCheck?: (c: Context<AppEnv>) => Promise<void>;
}

/**
 * The admin guard. A request is authenticated by, in order:
 * - `Authorization: Bearer <token>` (scripts, the Prometheus scraper): any method. Browsers never attach it
 *   on their own, so a cross-site page cannot borrow it.
 * - the session cookie (`POST /auth/session`): any method, but a state change must echo the session's CSRF
 *   token in `X-CSRF-Token` or `X-XSRF-TOKEN`, or (a plain HTML form) in its `_csrf` field.
 * - Basic credentials with a token as password: GET and HEAD only. Browsers resend Basic credentials to any
 *   site's form, so they may read pages but never change anything.
 * Then the role the route needs (the table in route-roles.ts) must be covered: 403 otherwise.
 */
export function adminAuth(options: AdminAuthOptions): MiddlewareHandler<AppEnv> {
  const { credentials, sessions } = options;
  const tokens = credentials.map((c) => c.token);
  const byToken = (token: string | undefined): Credential | undefined =>
    token ? credentials[matchSecret(token, tokens)] : undefined;

  const refuse = async (c: Context<AppEnv>, message: string): Promise<never> => {
    await options.onFailure?.(c);
    if ((c.req.header('accept') ?? '').includes('text/html')) {
      c.header('WWW-Authenticate', 'Basic realm="ordergate admin", charset="UTF-8"');
    }
    throw new AppError('unauthorized', message);
  };

  const authenticate = async (c: Context<AppEnv>): Promise<Principal> => {
    const header = c.req.header('authorization');
    const bearer = bearerToken(header);
    if (bearer !== undefined) {
      const credential = byToken(bearer);
      if (!credential) return refuse(c, 'a valid admin bearer token is required');
      return { role: credential.role, tokenId: credential.id, via: 'bearer' };
    }
    const sessionId = sessions ? getCookie(c, SESSION_COOKIE) : undefined;
    if (sessions && sessionId) {
      const session = await sessions.read(sessionId);
      // A session outlives nothing: the token it was opened with must still be configured with that role.
      const credential =
        session && credentials.find((k) => k.id === session.tokenId && k.role === session.role);
      if (session && credential) {
        if (!isSafeMethod(c.req.method)) {
          const echoed =
            CSRF_HEADERS.map((h) => c.req.header(h)).find((v) => v !== undefined) ?? (await formCsrfToken(c));
          if (!echoed || !sameSecret(echoed, session.csrfToken)) {
            throw new AppError('forbidden', 'a state change needs the session CSRF token in X-CSRF-Token');
          }
        }
        return { role: session.role, tokenId: session.tokenId, via: 'session' };
      }
    }
    const basic = basicPassword(header);
    if (basic !== undefined) {
      const credential = byToken(basic);
      if (!credential) return refuse(c, 'a valid admin token is required');
      if (!isSafeMethod(c.req.method)) {
        throw new AppError(
          'forbidden',
          'Basic credentials can only read; sign in (POST /auth/session) or send a bearer token to change anything',
        );
      }
      return { role: credential.role, tokenId: credential.id, via: 'basic' };
    }
    return refuse(c, 'a valid admin bearer token is required');
  };

  return async (c, next) => {
    await options.beforeCheck?.(c);
    const principal = await authenticate(c);
    c.set('principal', principal);
    assertRole(principal, options.requiredRole(c.req.method, c.req.path));
    await next();
  };
}
