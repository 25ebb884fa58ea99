import type { Config } from '../../config.js';
import type { Executor } from '../../db/index.js';
import type { CatalogEntry, DiscountRule, ShippingRule } from './pricing.js';

/** Catalog entries of these SKUs, by SKU. */
export async function findCatalogEntries(
  db: Executor,
  skus: readonly string[],
): Promise<Map<string, CatalogEntry>> {
  if (skus.length === 0) return new Map();
  const rows = await db
    .selectFrom('storefront_products')
    .selectAll()
    .where('sku', 'in', [...skus])
    .execute();
  return new Map(
    rows.map((r) => [r.sku, { sku: r.sku, name: r.name, price: r.price, gstRateBp: r.gst_rate_bp }]),
  );
}

export async function findDiscount(db: Executor, code: string): Promise<DiscountRule | undefined> {
  const row = await db
    .selectFrom('storefront_discounts')
    .selectAll()
    .where('code', '=', code)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    code: row.code,
    kind: row.kind,
    value: row.value,
    minSubtotal: row.min_subtotal,
    active: row.active,
  };
}

export function upsertProduct(db: Executor, entry: CatalogEntry) {
  const values = {
    name: entry.name,
    price: entry.price,
    gst_rate_bp: entry.gstRateBp,
    updated_at: new Date(),
  };
  return db
    .insertInto('storefront_products')
    .values({ sku: entry.sku, ...values })
    .onConflict((oc) => oc.column('sku').doUpdateSet(values))
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function upsertDiscount(db: Executor, rule: DiscountRule) {
  const values = {
    kind: rule.kind,
    value: rule.value,
    min_subtotal: rule.minSubtotal,
    active: rule.active,
    updated_at: new Date(),
  };
  return db
    .insertInto('storefront_discounts')
    .values({ code: rule.code, ...values })
    .onConflict((oc) => oc.column('code').doUpdateSet(values))
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The configured shipping cost rule. */
export function shippingRule(config: Config): ShippingRule {
  return { fee: config.STOREFRONT_SHIPPING_FEE, freeFrom: config.STOREFRONT_FREE_SHIPPING_FROM ?? null };
}
