import type { Context, Hono, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { z } from 'zod';
import type { AppEnv, GatewayDeps } from '../../http/env.js';
import { validate } from '../../http/input.js';
import { documentRoute } from '../../http/openapi.js';
import { bearerToken, matchSecret } from '../../lib/crypto.js';
import { AppError } from '../../lib/errors.js';
import { adminRoles, isAdminRole } from '../../lib/roles.js';
import type { Credential } from '../auth.js';
import { CSRF_COOKIE, SESSION_COOKIE, type SessionStore } from '../sessions.js';

export const loginBody = z.object({ token: z.string().trim().min(1).max(512) });
/** Where a browser goes after signing in with the form: an admin page of ours, nothing else. */
const nextPath = z
  .string()
  .regex(/^\/admin\/[\w\-/.]*$/)
  .refine((p) => !p.includes('//') && !p.includes('..'))
  .catch('/admin/queues');

export interface SessionRouteOptions {
  credentials: readonly Credential[];
  sessions: SessionStore;
  onFailure?: (c: Context<AppEnv>) => Promise<void>;
  beforeCheck?: (c: Context<AppEnv>) => Promise<void>;
}

async function loginToken(c: Context<AppEnv>): Promise<{ token: string; form: boolean; next?: string }> {
  const bearer = bearerToken(c.req.header('authorization'));
  if (bearer) return { token: bearer, form: false };
  const type = c.req.header('content-type') ?? '';
  if (/^application\/x-www-form-urlencoded\b/i.test(type)) {
    const params = new URLSearchParams(await c.req.text());
    const { token } = validate(loginBody, { token: params.get('token') ?? '' });
    return { token, form: true, next: params.get('next') ?? undefined };
  }
  if (/^application\/json\b/i.test(type)) {
    const { token } = validate(loginBody, await c.req.json().catch(() => ({})));
    return { token, form: false };
  }
  throw new AppError('unsupported_media_type', 'send {"token": …} as JSON, a form, or a bearer token');
}

const LOGIN_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ordergate admin sign-in</title></head>
<body>
<h1>ordergate admin</h1>
<form method="post" action="/auth/session">
<label>Admin token <input type="password" name="token" autocomplete="current-password" required></label>
<input type="hidden" name="next" value="/admin/queues">
<button type="submit">Sign in</button>
</form>
</body></html>`;

/**
 * Browser sessions for the admin API (the job dashboard, the operator console):
 * - `POST /auth/session` with an admin token (JSON `{token}`, a form field, or a bearer header) sets the
 *   session cookie (HttpOnly, SameSite=Strict, Secure outside development) and the CSRF cookie, and answers
 *   `{role, csrfToken, expiresAt}` (a form is redirected to the admin page it names);
 * - `GET /auth/session` tells a page its role and CSRF token again (after a reload);
 * - `DELETE /auth/session` (with the CSRF token) signs out;
 * - `GET /auth/login` is a sign-in form for people using the dashboard.
 * Cross-site requests are refused before any of this runs (app.ts).
 */
/** `POST /auth/session`: the signed-in role and the CSRF token state changes must carry. */
export const sessionAnswerSchema = z.object({
  role: z.enum(adminRoles),
  csrfToken: z.string().describe('Send it back in X-CSRF-Token on every state change'),
  expiresAt: z.iso.datetime(),
});
/** `GET /auth/session`: the same, and which configured token the session was opened with. */
export const sessionReadAnswerSchema = sessionAnswerSchema.extend({
  tokenId: z.string().describe("The token's fingerprint, never the token"),
});

export function registerSessionRoutes(app: Hono<AppEnv>, deps: GatewayDeps, options: SessionRouteOptions) {
  const { credentials, sessions } = options;
  const tokens = credentials.map((c) => c.token);
  const secure = deps.config.NODE_ENV !== 'development';
  const cookieBase = { path: '/', secure, sameSite: 'Strict' } as const;

  app.get('/auth/login', (c) => c.html(LOGIN_PAGE));
  documentRoute(app, {
    method: 'get',
    path: '/auth/login',
    tag: 'sessions',
    summary: 'Sign-in form for the job dashboard (HTML)',
    responses: { 200: { description: 'The form', contentType: 'text/html' } },
    errors: [],
  });
  documentRoute(app, {
    method: 'post',
    path: '/auth/session',
    tag: 'sessions',
    summary: 'Sign in with an admin token: session cookie (HttpOnly, SameSite=Strict) and CSRF token',
    body: loginBody,
    responses: {
      201: { description: 'Signed in', body: sessionAnswerSchema },
      303: { description: 'A form sign-in, sent on to the admin page it named' },
    },
    errors: [400, 401, 403, 415, 429],
  });
  documentRoute(app, {
    method: 'get',
    path: '/auth/session',
    tag: 'sessions',
    summary: "The session's role and CSRF token (after a page reload)",
    responses: { 200: { description: 'The session', body: sessionReadAnswerSchema } },
    errors: [401],
  });

  app.post('/auth/session', async (c) => {
    await options.beforeCheck?.(c);
    const login = await loginToken(c);
    const credential = credentials[matchSecret(login.token, tokens)];
    if (!credential || !isAdminRole(credential.role)) {
      await options.onFailure?.(c);
      throw new AppError('unauthorized', 'a valid admin token is required');
    }
    const { id, session } = await sessions.create({ tokenId: credential.id, role: credential.role });
    const maxAge = Math.floor((session.expiresAt - Date.now()) / 1000);
    setCookie(c, SESSION_COOKIE, id, { ...cookieBase, httpOnly: true, maxAge });
    setCookie(c, CSRF_COOKIE, session.csrfToken, { ...cookieBase, maxAge });
    if (login.form) return c.redirect(nextPath.parse(login.next), 303);
    const body: z.output<typeof sessionAnswerSchema> = {
      role: session.role,
      csrfToken: session.csrfToken,
      expiresAt: new Date(session.expiresAt).toISOString(),
    };
    return c.json(body, 201);
  });

  app.get('/auth/session', async (c) => {
    const id = getCookie(c, SESSION_COOKIE);
    const session = id ? await sessions.read(id) : undefined;
    if (!session) throw new AppError('unauthorized', 'no session: sign in with POST /auth/session');
    return c.json({
      role: session.role,
      tokenId: session.tokenId,
      csrfToken: session.csrfToken,
      expiresAt: new Date(session.expiresAt).toISOString(),
    } satisfies z.output<typeof sessionReadAnswerSchema>);
  });
}

/**
 * `DELETE /auth/session`, registered behind the admin guard (which requires the CSRF token on it like on
 * every state change); any role may sign itself out.
 */
export function registerLogoutRoute(
  app: Hono<AppEnv>,
  deps: GatewayDeps,
  sessions: SessionStore,
  guard: MiddlewareHandler<AppEnv>,
) {
  const secure = deps.config.NODE_ENV !== 'development';
  documentRoute(app, {
    method: 'delete',
    path: '/auth/session',
    tag: 'sessions',
    summary: 'Sign out (needs the CSRF token in X-CSRF-Token)',
    responses: { 204: { description: 'Signed out; the cookies are cleared' } },
    errors: [401, 403],
  });
  app.delete('/auth/session', guard, async (c) => {
    const id = getCookie(c, SESSION_COOKIE);
    if (id) await sessions.remove(id);
    deleteCookie(c, SESSION_COOKIE, { path: '/', secure, sameSite: 'Strict' });
    deleteCookie(c, CSRF_COOKIE, { path: '/', secure, sameSite: 'Strict' });
    return c.body(null, 204);
  });
}
