import type { WorkerContext } from '../types.js';
import { YS_SOURCE } from './mapping.js';
import { type RecoverResult, recoverVendorOrders } from './recover.js';

export interface VendorRef {
  chainId: string;
  vendorId: string;
}

/** `chain:vendor,chain:vendor` → refs; blanks ignored. */
export function parseVendorList(value: string | undefined): VendorRef[] {
  return (value ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const [chainId = '', vendorId = ''] = part.split(':').map((s) => s.trim());
      if (!chainId || !vendorId)
        throw new Error(`YEMEKSEPETI_RECONCILE_VENDORS: "${part}" is not chain:vendor`);
      return { chainId, vendorId };
    });
}

/**
 * The vendors a reconciliation run recovers: YEMEKSEPETI_RECONCILE_VENDORS when set, else every Yemeksepeti
 * store mapped to a warehouse, under YEMEKSEPETI_CHAIN_ID.
 */
export async function vendorsToReconcile(ctx: WorkerContext): Promise<VendorRef[] | string> {
  const explicit = parseVendorList(ctx.config.YEMEKSEPETI_RECONCILE_VENDORS);
  if (explicit.length) return explicit;
  const chainId = ctx.config.YEMEKSEPETI_CHAIN_ID;
  if (!chainId) return 'no vendors: set YEMEKSEPETI_RECONCILE_VENDORS or YEMEKSEPETI_CHAIN_ID';
  const stores = await ctx.db
    .selectFrom('warehouse_external_stores')
    .select('external_store_id')
    .where('channel', '=', YS_SOURCE)
    .orderBy('external_store_id')
    .execute();
  return stores.map((s) => ({ chainId, vendorId: s.external_store_id }));
}

/**
 * Reconciliation for Yemeksepeti: recover every vendor's orders in the window whose push never reached us.
 * One vendor's failure is reported (`failures`) and the others still run; any failure makes the run fail.
 */
export async function reconcileYemeksepeti(
  ctx: WorkerContext,
  window: { since: Date; until: Date },
): Promise<Record<string, unknown>> {
  if (!ctx.config.YEMEKSEPETI_API_URL) return { skipped: 'YEMEKSEPETI_API_URL is not set' };
  const vendors = await vendorsToReconcile(ctx);
  if (typeof vendors === 'string') return { skipped: vendors };
  const results: (RecoverResult | (VendorRef & { error: string }))[] = [];
  const errors: string[] = [];
  for (const vendor of vendors) {
    try {
      results.push(await recoverVendorOrders(ctx, { ...vendor, since: window.since, until: window.until }));
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      errors.push(`${vendor.chainId}/${vendor.vendorId}: ${message}`);
      results.push({ ...vendor, error: message });
    }
  }
  return { vendors: results, failures: errors };
}
