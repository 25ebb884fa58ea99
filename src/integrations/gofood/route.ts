import type { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv, RouteDeps } from '../../http/env.js';
import { readJsonBody, validate } from '../../http/input.js';
import { verifyHmacHex } from '../../lib/crypto.js';
import { AppError } from '../../lib/errors.js';
import { ingestPush } from '../kit/push.js';
import { GOFOOD_SOURCE } from './mapping.js';
import { acceptanceModes, upsertOutlet } from './outlets.js';
import { notificationSchema } from './schema.js';

const headerValue = z.string().trim().min(1).max(255);

/**
 * `POST /webhooks/gofood`: GoBiz notifications. The `X-Go-Signature` (hex HMAC-SHA256 of the raw body with
 * GOFOOD_NOTIFICATION_SECRET) is checked in constant time before anything is stored; a missing or wrong
 * one is 401. Every authentic notification is stored, however odd its content: the worker decides what it
 * means, and an event it cannot use is marked for attention rather than lost after GoBiz's few retries.
 * 202 for a new event, 200 for one we already hold (GoBiz must never retry those); 503 only when the
 * event store is unreachable (from ingest).
 */
export function registerGofoodWebhook(app: Hono<AppEnv>, deps: RouteDeps): void {
  app.post('/webhooks/gofood', async (c) => {
    const secret = deps.config.GOFOOD_NOTIFICATION_SECRET;
    const signature = c.req.header('x-go-signature');
    if (!secret) {
      c.var.logger.warn('GoFood notification refused: GOFOOD_NOTIFICATION_SECRET is not set');
      throw new AppError('unauthorized', 'GoFood notifications are not configured');
    }
    if (!signature) throw new AppError('unauthorized', 'the X-Go-Signature header is required');
    const { raw, json } = await readJsonBody(c);
    if (!verifyHmacHex(secret, raw, signature)) {
      throw new AppError('unauthorized', 'X-Go-Signature does not match the body');
    }
    const notification = validate(notificationSchema, json);
    const idempotencyKey = c.req.header('x-go-idempotency-key');
    const dedupKey =
      idempotencyKey && headerValue.safeParse(idempotencyKey).success
        ? idempotencyKey.trim()
        : notification.header.event_id;
    return ingestPush(c, deps, {
      source: GOFOOD_SOURCE,
      dedupKey,
      eventType: notification.header.event_name ?? 'unknown',
      externalOrderId: notification.body.order?.order_number,
      payload: json,
      payloadJson: raw,
      rawBody: raw,
    });
  });
}

export const outletParams = z.object({ outletId: z.string().trim().min(1).max(100) });
export const outletBody = z
  .object({
    acceptanceMode: z.enum(acceptanceModes),
    /** Warehouse code whose stock the outlet's orders reserve; omitted or null = no stock reservation. */
    warehouse: z.string().trim().min(1).max(64).nullish(),
  })
  .strict();

function outletDto(row: { outlet_id: string; acceptance_mode: string; warehouse_code: string | null }) {
  return { outletId: row.outlet_id, acceptanceMode: row.acceptance_mode, warehouse: row.warehouse_code };
}

/**
 * `PUT /admin/gofood/outlets/:outletId` (replace: an omitted warehouse clears it) and
 * `GET /admin/gofood/outlets/:outletId`. Outlet settings are configuration, not orders.
 */
export function registerGofoodAdminRoutes(app: Hono<AppEnv>, deps: RouteDeps): void {
  app.put('/admin/gofood/outlets/:outletId', deps.requireAdmin, async (c) => {
    const { outletId } = validate(outletParams, c.req.param(), 'path');
    const body = validate(outletBody, (await readJsonBody(c)).json);
    const warehouseCode = body.warehouse ?? null;
    if (warehouseCode) {
      const warehouse = await deps.db
        .selectFrom('warehouses')
        .select('code')
        .where('code', '=', warehouseCode)
        .executeTakeFirst();
      if (!warehouse) {
        throw new AppError('validation_failed', `warehouse ${warehouseCode} does not exist`, {
          details: [{ path: 'warehouse', message: 'unknown warehouse code' }],
        });
      }
    }
    const row = await upsertOutlet(deps.db, { outletId, acceptanceMode: body.acceptanceMode, warehouseCode });
    return c.json(outletDto(row));
  });

  app.get('/admin/gofood/outlets/:outletId', deps.requireAdmin, async (c) => {
    const { outletId } = validate(outletParams, c.req.param(), 'path');
    const row = await deps.db
      .selectFrom('gofood_outlets')
      .selectAll()
      .where('outlet_id', '=', outletId)
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', 'outlet not configured', { details: { outletId } });
    return c.json(outletDto(row));
  });
}
