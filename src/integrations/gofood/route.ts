import type { Hono } from 'hono';
import { z } from 'zod';
import type { GofoodAcceptanceMode } from '../../db/schema.js';
import type { AppEnv, RouteDeps } from '../../http/env.js';
import { readJsonBody, validate } from '../../http/input.js';
import { readSignedJson } from '../../http/signature.js';
import { AppError } from '../../lib/errors.js';
import { ingestPush } from '../kit/push.js';
import { GOFOOD_SOURCE } from './mapping.js';
import { acceptanceModes, upsertOutlet } from './outlets.js';
import { notificationSchema } from './schema.js';

/**
 * `POST /webhooks/gofood`: GoBiz notifications. The `X-Go-Signature` (hex HMAC-SHA256 of the raw body with
 * GOFOOD_NOTIFICATION_SECRET) is checked in constant time over the raw bytes before the body is parsed or
 * stored; a missing, malformed or wrong one is 401. Every authentic notification is stored, however odd its
 * content: the worker decides what it means, and an event it cannot use is marked for attention rather than lost after GoBiz's few retries.
 * 202 for a new event, 200 for one we already hold (GoBiz must never retry those); 503 only when the
 * event store is unreachable (from ingest).
 */
export function registerGofoodWebhook(app: Hono<AppEnv>, deps: RouteDeps): void {
  app.post('/webhooks/gofood', async (c) => {
    const secret = deps.config.GOFOOD_NOTIFICATION_SECRET;
    if (!secret) c.var.logger.warn('GoFood notification refused: GOFOOD_NOTIFICATION_SECRET is not set');
    const { raw, json } = await readSignedJson(c, {
      header: 'X-Go-Signature',
      signature: c.req.header('x-go-signature'),
      secrets: [secret],
      maxBytes: deps.config.WEBHOOK_BODY_LIMIT_BYTES,
      notConfigured: 'GoFood notifications are not configured',
    });
    const notification = validate(notificationSchema, json);
    // Deduplicated on signed content only: the event id inside the body, else the body's hash (ingest's
    // default). X-Go-Idempotency-Key is outside the signature, so a captured notification re-sent with new
    // keys must still be one event.
    return ingestPush(c, deps, {
      source: GOFOOD_SOURCE,
      dedupKey: notification.header.event_id,
      eventType: notification.header.event_name ?? 'unknown',
      externalOrderId: notification.body.order?.order_number,
      payload: json,
      payloadJson: raw,
      rawBody: raw,
      ...(notification.header.timestamp ? { meta: { signedAt: notification.header.timestamp } } : {}),
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

/** A GoFood outlet's settings as the admin API answers them. */
export const outletDtoSchema = z.object({
  outletId: z.string(),
  acceptanceMode: z.enum(acceptanceModes),
  warehouse: z.string().nullable().describe('The warehouse code its orders draw stock from'),
});

function outletDto(row: {
  outlet_id: string;
  acceptance_mode: GofoodAcceptanceMode;
  warehouse_code: string | null;
}): z.output<typeof outletDtoSchema> {
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
