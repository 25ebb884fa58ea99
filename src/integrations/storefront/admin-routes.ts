import type { Hono } from 'hono';
import { z } from 'zod';
import type { Executor } from '../../db/index.js';
import type { Order } from '../../db/schema.js';
import type { AppEnv, RouteDeps } from '../../http/env.js';
import { readJsonBody, readOptionalJsonBody, validate } from '../../http/input.js';
import { AppError, RuleViolation } from '../../lib/errors.js';
import { adminActor } from '../../lib/roles.js';
import type { OrderDetailDto } from '../../orders/dto.js';
import { findOrderById, getOrderForUpdate, withOrderLock } from '../../orders/locks.js';
import { getOrderDetail } from '../../orders/queries.js';
import { orderStatuses } from '../../orders/status.js';
import { upsertDiscount, upsertProduct } from './catalog.js';
import { addNote, changeStatus, deliverOrder, shipOrder } from './lifecycle.js';
import {
  catalogBody,
  discountBody,
  discountCodeSchema,
  noteBody,
  STOREFRONT_SOURCE,
  shipmentBody,
  skuSchema,
} from './schema.js';

const idParam = z.object({ id: z.uuid() });
/**
 * `PATCH /admin/orders/:id/status`. An order is shipped with its shipment: `shipped` needs `carrier` and
 * `trackingNumber` (as `POST /admin/orders/:id/shipments`), and no other status takes them.
 */
export const statusBody = z
  .object({
    status: z.enum(orderStatuses),
    note: z.string().trim().min(1).max(500).optional(),
    ...shipmentBody.partial().shape,
  })
  .strict()
  .superRefine((body, ctx) => {
    const shipment = body.carrier !== undefined || body.trackingNumber !== undefined;
    if (body.status !== 'shipped' && shipment) {
      ctx.addIssue({
        code: 'custom',
        path: ['status'],
        message: 'carrier and trackingNumber go with shipped',
      });
    }
    if (body.status !== 'shipped') return;
    for (const field of ['carrier', 'trackingNumber'] as const) {
      if (body[field] === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: 'a shipped order needs its carrier and trackingNumber',
        });
      }
    }
  });
export const deliveryBody = z.object({ note: z.string().trim().min(1).max(500).optional() }).strict();

/** `PUT /admin/catalog/:sku`: the product as stored. */
export const productAnswerSchema = z.object({
  sku: z.string(),
  name: z.string(),
  price: z.int().describe('Minor units, GST excluded'),
  gstRate: z.number().describe('Percent, at most two decimals'),
});
/** `PUT /admin/discounts/:code`: the discount as stored (its code upper-cased). */
export const discountAnswerSchema = z.object({
  code: z.string(),
  kind: z.enum(['percent', 'fixed']),
  value: z.int().describe('Percent, or minor units off'),
  minSubtotal: z.int().nullable().describe('Minor units'),
  active: z.boolean(),
});

/**
 * Runs `fn` on the order under its lock and answers the order's admin detail. `storefrontOnly`: the action
 * is one of the storefront's own (other channels carry their status changes to their providers).
 */
async function onOrder(
  deps: RouteDeps,
  id: string,
  storefrontOnly: boolean,
  fn: (trx: Executor, order: Order) => Promise<unknown>,
): Promise<OrderDetailDto> {
  const found = await findOrderById(deps.db, id);
  if (!found) throw new AppError('not_found', 'order not found', { details: { id } });
  if (storefrontOnly && found.channel !== STOREFRONT_SOURCE) {
    throw new RuleViolation('action_not_supported', `this is not an action on ${found.channel} orders`);
  }
  await withOrderLock(deps.db, found.channel, found.external_order_id, async (trx) =>
    fn(trx, await getOrderForUpdate(trx, id)),
  );
  const detail = await getOrderDetail(deps.db, id);
  if (!detail) throw new AppError('not_found', 'order not found', { details: { id } });
  return detail;
}

/** Catalog and discount configuration, and the storefront's fulfilment and note endpoints. */
export function registerStorefrontAdminRoutes(app: Hono<AppEnv>, deps: RouteDeps): void {
  app.put('/admin/catalog/:sku', deps.requireAdmin, async (c) => {
    const sku = validate(skuSchema, c.req.param('sku'), 'sku');
    const body = validate(catalogBody, (await readJsonBody(c)).json);
    const row = await upsertProduct(deps.db, {
      sku,
      name: body.name,
      price: body.price,
      gstRateBp: Math.round(body.gstRate * 100),
    });
    return c.json({
      sku: row.sku,
      name: row.name,
      price: row.price,
      gstRate: row.gst_rate_bp / 100,
    } satisfies z.output<typeof productAnswerSchema>);
  });

  app.put('/admin/discounts/:code', deps.requireAdmin, async (c) => {
    const code = validate(discountCodeSchema, c.req.param('code'), 'code');
    const body = validate(discountBody, (await readJsonBody(c)).json);
    const row = await upsertDiscount(deps.db, {
      code,
      kind: body.kind,
      value: body.value,
      minSubtotal: body.minSubtotal ?? null,
      active: body.active,
    });
    return c.json({
      code: row.code,
      kind: row.kind,
      value: row.value,
      minSubtotal: row.min_subtotal,
      active: row.active,
    } satisfies z.output<typeof discountAnswerSchema>);
  });

  app.post('/admin/orders/:id/shipments', deps.requireAdmin, async (c) => {
    const { id } = validate(idParam, c.req.param(), 'path');
    const body = validate(shipmentBody, (await readJsonBody(c)).json);
    return c.json(
      await onOrder(deps, id, true, (trx, order) =>
        shipOrder(trx, order, { actor: adminActor(c.get('principal')), ...body }),
      ),
    );
  });

  app.post('/admin/orders/:id/delivery', deps.requireAdmin, async (c) => {
    const { id } = validate(idParam, c.req.param(), 'path');
    const { note } = validate(deliveryBody, await readOptionalJsonBody(c));
    return c.json(
      await onOrder(deps, id, true, (trx, order) =>
        deliverOrder(trx, order, { actor: adminActor(c.get('principal')), ...(note ? { note } : {}) }),
      ),
    );
  });

  app.patch('/admin/orders/:id/status', deps.requireAdmin, async (c) => {
    const { id } = validate(idParam, c.req.param(), 'path');
    const { status, note, carrier, trackingNumber } = validate(statusBody, (await readJsonBody(c)).json);
    const shipment = carrier && trackingNumber ? { carrier, trackingNumber } : undefined;
    return c.json(
      await onOrder(deps, id, true, (trx, order) =>
        changeStatus(trx, order, status, { actor: adminActor(c.get('principal')), note, shipment }),
      ),
    );
  });

  app.post('/admin/orders/:id/notes', deps.requireAdmin, async (c) => {
    const { id } = validate(idParam, c.req.param(), 'path');
    const body = validate(noteBody, (await readJsonBody(c)).json);
    return c.json(
      await onOrder(deps, id, false, (trx, order) =>
        addNote(trx, order, { actor: adminActor(c.get('principal')), ...body }),
      ),
      201,
    );
  });
}
