import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { every } from 'hono/combine';
import type { AppEnv, GatewayDeps } from '../http/env.js';
import { answerErrorsInEnvelope } from '../http/envelope.js';
import type { Integration } from '../integrations/types.js';
import { AppError } from '../lib/errors.js';
import { lazyChild } from '../lib/logger.js';
import { adminAuth, credentialsFromConfig } from './auth.js';
import { authFailureLimit } from './auth-limit.js';
import { bodyLimit } from './body-limit.js';
import { CONSOLE, consoleSignIn, consoleSignInFailure, registerConsole } from './console/routes.js';
import { refuseCrossSite } from './cross-site.js';
import { documentGatewayRoutes } from './openapi-catalogue.js';
import { requiredRole } from './route-roles.js';
import { registerAdminActionRoutes } from './routes/admin-actions.js';
import { registerAdminEventRoutes } from './routes/admin-events.js';
import { registerAdminInterventionRoutes } from './routes/admin-interventions.js';
import { registerMetricsRoute } from './routes/admin-metrics.js';
import { registerAdminOrderRoutes } from './routes/admin-orders.js';
import { registerAdminOutboxRoutes } from './routes/admin-outbox.js';
import { registerQueueDashboard } from './routes/admin-queues.js';
import { registerAdminReconciliationRoutes } from './routes/admin-reconciliation.js';
import { registerAdminWarehouseRoutes } from './routes/admin-warehouses.js';
import { registerApiDocs } from './routes/api-docs.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerLogoutRoute, registerSessionRoutes } from './routes/session.js';
import { securityHeaders } from './security-headers.js';
import { createSessionStore } from './sessions.js';

export interface AppOptions {
  deps: GatewayDeps;
  integrations: readonly Integration[];
  /** ADMIN_TOKEN, or the generated development token (`resolveAdminToken`). */
  adminToken: string | undefined;
}

const REQUEST_ID_PATTERN = /^[\w.:-]{1,128}$/;

/** The gateway's composition root: request id, logging, the error envelope, then every route. */
export function createApp({ deps, integrations, adminToken }: AppOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  // The integration a push route belongs to: a route path outside /admin naming its source as a segment
  // (/webhooks/gofood, /api/v2/yemeksepeti/…); /api/orders is the manual channel's.
  const pushSource = (routePath: string): string | undefined => {
    if (routePath.startsWith('/admin')) return undefined;
    if (routePath === '/api/orders') return 'manual';
    const segments = routePath.split('/');
    return integrations.find((i) => segments.includes(i.source))?.source;
  };

  app.use(async (c, next) => {
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && REQUEST_ID_PATTERN.test(incoming) ? incoming : randomUUID();
    c.set('requestId', requestId);
    c.set('logger', lazyChild(deps.logger, { requestId }));
    c.header('X-Request-Id', requestId);
    const started = performance.now();
    await next();
    const status = c.res.status;
    // A push refused before it was stored (authentication, validation): counted as rejected for its source.
    const source =
      status >= 400 && status < 500 && c.req.method === 'POST' ? pushSource(c.req.routePath) : undefined;
    if (source) deps.metrics?.inboxReceived.inc({ source, outcome: 'rejected' });
    deps.metrics?.httpRequests.observe(
      { method: c.req.method, route: c.req.routePath, status: String(status) },
      (performance.now() - started) / 1000,
    );
    const level = status >= 500 ? 'error' : 'debug';
    if (deps.logger.isLevelEnabled(level)) {
      c.var.logger[level](
        {
          method: c.req.method,
          path: c.req.path,
          status,
          ms: Math.round((performance.now() - started) * 10) / 10,
        },
        'request',
      );
    }
  });

  app.use(securityHeaders());

  app.use(
    bodyLimit({
      maxSize: deps.config.BODY_LIMIT_BYTES,
      onError: (c) => {
        // The unread rest of the body makes the connection unusable: tell keep-alive clients not to reuse it.
        c.header('Connection', 'close');
        throw new AppError('payload_too_large', `request body exceeds ${deps.config.BODY_LIMIT_BYTES} bytes`);
      },
    }),
  );

  const credentials = credentialsFromConfig(deps.config, adminToken);
  const sessions = createSessionStore(deps.redis, deps.config.QUEUE_PREFIX, deps.config.SESSION_TTL_MS);
  const crossSite = refuseCrossSite(deps.config.ADMIN_ORIGINS);
  const limit = authFailureLimit(deps.redis, deps.config.QUEUE_PREFIX, {
    limit: deps.config.AUTH_FAILURE_LIMIT,
    windowMs: deps.config.AUTH_FAILURE_WINDOW_MS,
  });
  const authenticate = adminAuth({ credentials, sessions, requiredRole, ...limit });
  const requireAdmin = every(crossSite, authenticate);
  // A browser opening the console without credentials goes to its sign-in page instead of a 401.
  app.use(`${CONSOLE}/*`, consoleSignIn(sessions));
  app.use('/admin/*', requireAdmin);
  app.use('/auth/*', crossSite);
  app.use('/auth/session', consoleSignInFailure());
  registerSessionRoutes(app, deps, { credentials, sessions, ...limit });
  registerLogoutRoute(app, deps, sessions, authenticate);

  registerHealthRoutes(app, deps);
  registerAdminOrderRoutes(app, deps);
  registerAdminEventRoutes(app, deps);
  registerAdminOutboxRoutes(app, deps);
  registerAdminInterventionRoutes(app, deps);
  registerAdminActionRoutes(app, deps, integrations);
  registerAdminWarehouseRoutes(app, deps);
  registerQueueDashboard(app, deps);
  registerMetricsRoute(app, deps);
  registerAdminReconciliationRoutes(app, deps, integrations);
  registerConsole(app, deps, { integrations, sessions });
  for (const integration of integrations) integration.registerRoutes?.(app, { ...deps, requireAdmin });
  // The OpenAPI document and its reference page describe every route registered above.
  documentGatewayRoutes(app);
  registerApiDocs(app);

  answerErrorsInEnvelope(app, deps.logger);

  return app;
}
