import type { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv, GatewayDeps } from '../../http/env.js';
import { readJsonBody, validate } from '../../http/input.js';
import { AppError } from '../../lib/errors.js';
import {
  findWarehouse,
  listStockLevels,
  listWarehouseStores,
  replaceWarehouseStores,
  setStockLevels,
  storesMappedElsewhere,
  upsertWarehouse,
} from '../../orders/warehouses.js';

export const warehouseCategories = ['market', 'su'] as const;

export const codeParam = z.object({
  code: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .regex(/^[\w.-]+$/, 'letters, digits, _ . -'),
});

export const warehouseBody = z
  .object({
    category: z.enum(warehouseCategories),
    name: z.string().trim().min(1).max(200),
    /** The channel's store ids served by this warehouse; replaces the previous set for that channel. */
    externalStoreIds: z.array(z.string().trim().min(1).max(200)).max(1000).default([]),
    /** Whose store ids these are; Yemeksepeti is the first channel that maps stores to warehouses. */
    channel: z.string().trim().min(1).max(64).default('yemeksepeti'),
  })
  .strict();

export const stockBody = z
  .object({
    items: z
      .array(
        z.object({
          sku: z.string().trim().min(1).max(100),
          /** Units, or grams for weight-priced (KG) SKUs. */
          onHand: z.number().int().nonnegative().max(2_000_000_000),
        }),
      )
      .min(1)
      .max(10_000),
  })
  .strict()
  // One upsert sets every level: Postgres refuses to update the same row twice in one statement.
  .superRefine((body, ctx) => {
    const seen = new Set<string>();
    body.items.forEach((item, index) => {
      if (seen.has(item.sku)) {
        ctx.addIssue({ code: 'custom', path: ['items', index, 'sku'], message: `duplicate sku ${item.sku}` });
      }
      seen.add(item.sku);
    });
  });

/** A warehouse as the admin API answers it: the channel store ids it serves and its stock. */
export const warehouseDtoSchema = z.object({
  code: z.string(),
  category: z.string().describe(warehouseCategories.join(' or ')),
  name: z.string(),
  externalStores: z.array(z.object({ channel: z.string(), externalStoreId: z.string() })),
  stock: z.array(
    z.object({
      sku: z.string(),
      onHand: z.int().describe('Units, or grams for weight-priced (KG) SKUs'),
      reserved: z.int().describe('Held by orders not yet shipped or released'),
    }),
  ),
});

async function warehouseView(deps: GatewayDeps, code: string): Promise<z.output<typeof warehouseDtoSchema>> {
  const warehouse = await findWarehouse(deps.db, code);
  if (!warehouse) throw new AppError('not_found', `warehouse ${code} does not exist`, { details: { code } });
  const [stores, stock] = await Promise.all([
    listWarehouseStores(deps.db, code),
    listStockLevels(deps.db, code),
  ]);
  return {
    code: warehouse.code,
    category: warehouse.category,
    name: warehouse.name,
    externalStores: stores.map((s) => ({ channel: s.channel, externalStoreId: s.external_store_id })),
    stock: stock.map((s) => ({ sku: s.sku, onHand: s.on_hand, reserved: s.reserved })),
  };
}

/**
 * Warehouse configuration shared by every channel (admin auth is global on /admin/*):
 * `PUT /admin/warehouses/:code` upserts the warehouse and the channel's store ids mapped to it,
 * `PUT /admin/warehouses/:code/stock` sets on-hand quantities, `GET /admin/warehouses/:code` shows both.
 * A store maps to one warehouse: a store id mapped elsewhere is refused (409) rather than moved silently.
 * Orders keep the warehouse they were created in whatever the mapping says later.
 */
export function registerAdminWarehouseRoutes(app: Hono<AppEnv>, deps: GatewayDeps): void {
  app.get('/admin/warehouses/:code', async (c) => {
    const { code } = validate(codeParam, c.req.param(), 'path');
    return c.json(await warehouseView(deps, code));
  });

  app.put('/admin/warehouses/:code', async (c) => {
    const { code } = validate(codeParam, c.req.param(), 'path');
    const body = validate(warehouseBody, (await readJsonBody(c)).json);
    const storeIds = [...new Set(body.externalStoreIds)];
    await deps.db.transaction().execute(async (trx) => {
      const taken = await storesMappedElsewhere(trx, body.channel, code, storeIds);
      if (taken.length > 0) {
        throw new AppError('conflict', 'store ids are already mapped to another warehouse', {
          details: { channel: body.channel, stores: taken },
        });
      }
      await upsertWarehouse(trx, { code, category: body.category, name: body.name });
      await replaceWarehouseStores(trx, body.channel, code, storeIds);
    });
    return c.json(await warehouseView(deps, code));
  });

  app.put('/admin/warehouses/:code/stock', async (c) => {
    const { code } = validate(codeParam, c.req.param(), 'path');
    const body = validate(stockBody, (await readJsonBody(c)).json);
    if (!(await findWarehouse(deps.db, code))) {
      throw new AppError('not_found', `warehouse ${code} does not exist`, { details: { code } });
    }
    await setStockLevels(deps.db, code, body.items);
    return c.json(await warehouseView(deps, code));
  });
}
