import type { Db } from '../../src/db/index.js';
import type { HandlerResult } from '../../src/integrations/types.js';
import type { Settled } from '../../src/lib/coalesce.js';

/** A batch handler's outcome for one event; a failed event fails the test with its error. */
export function handled(result: Settled<HandlerResult> | undefined): HandlerResult {
  if (!result?.ok) throw new Error(`event failed: ${String(result?.error)}`);
  return result.value;
}

/** What a warehouse holds reserved of a SKU. */
export async function reserved(db: Db, warehouseCode: string, sku: string): Promise<number> {
  const row = await db
    .selectFrom('stock_levels')
    .select('reserved')
    .where('warehouse_code', '=', warehouseCode)
    .where('sku', '=', sku)
    .executeTakeFirstOrThrow();
  return row.reserved;
}
