import type { Hono } from 'hono';
import type { AppEnv } from '../http/env.js';
import { documentRoute, excludeFromDocs } from '../http/openapi.js';
import { channelOperations } from './openapi/channels.js';
import { configurationOperations } from './openapi/configuration.js';
import { operationsOperations } from './openapi/operations.js';
import { orderOperations } from './openapi/orders.js';
import { QUEUE_DASHBOARD_PATH } from './routes/admin-queues.js';

/**
 * The OpenAPI description of the gateway's routes, one file per concern in src/gateway/openapi/, next to the
 * schemas each route file exports and validates (and answers) with. A new route can describe itself with
 * `documentRoute` where it is registered instead.
 */
export function documentGatewayRoutes(app: Hono<AppEnv>): void {
  for (const operation of [
    ...channelOperations,
    ...orderOperations,
    ...configurationOperations,
    ...operationsOperations,
  ]) {
    documentRoute(app, operation);
  }
  excludeFromDocs(app, `${QUEUE_DASHBOARD_PATH}/`, "the job dashboard's own pages, assets and XHR API");
}
