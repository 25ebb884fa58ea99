import { sql } from 'kysely';
import type { Executor } from '../../db/index.js';
import type { GofoodAcceptanceMode, GofoodOutlet } from '../../db/schema.js';

export const acceptanceModes = [
  'auto',
  'auto_accept_on_timeout',
  'manual',
] as const satisfies readonly GofoodAcceptanceMode[];

/** What we know of an outlet; an outlet nobody configured is treated as `auto` without a warehouse. */
export interface OutletSettings {
  outletId: string | null;
  acceptanceMode: GofoodAcceptanceMode;
  warehouseCode: string | null;
  configured: boolean;
}

export async function outletSettings(db: Executor, outletId: string | null): Promise<OutletSettings> {
  const row = outletId
    ? await db.selectFrom('gofood_outlets').selectAll().where('outlet_id', '=', outletId).executeTakeFirst()
    : undefined;
  if (!row) return { outletId, acceptanceMode: 'auto', warehouseCode: null, configured: false };
  return {
    outletId,
    acceptanceMode: row.acceptance_mode,
    warehouseCode: row.warehouse_code,
    configured: true,
  };
}

export function upsertOutlet(
  db: Executor,
  outlet: { outletId: string; acceptanceMode: GofoodAcceptanceMode; warehouseCode: string | null },
): Promise<GofoodOutlet> {
  return db
    .insertInto('gofood_outlets')
    .values({
      outlet_id: outlet.outletId,
      acceptance_mode: outlet.acceptanceMode,
      warehouse_code: outlet.warehouseCode,
      updated_at: sql`now()`,
    })
    .onConflict((oc) =>
      oc.column('outlet_id').doUpdateSet({
        acceptance_mode: outlet.acceptanceMode,
        warehouse_code: outlet.warehouseCode,
        updated_at: sql`now()`,
      }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}
