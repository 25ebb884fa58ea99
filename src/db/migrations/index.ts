import type { Migration, MigrationProvider } from 'kysely/migration';
import * as init from './2026_11_23_1500_init.js';
import * as gofoodOutlets from './2026_11_24_1100_gofood_outlets.js';
import * as warehouseExternalStores from './2026_11_24_1200_warehouse_external_stores.js';

/**
 * Every migration, by its frozen timestamped name. Listed statically so the same set runs under tsx, the
 * built JS and the tests, on pg and on PGlite. Add new ones at the end.
 */
const migrations: Record<string, Migration> = {
  '2026_11_23_1500_init': init,
  '2026_11_24_1100_gofood_outlets': gofoodOutlets,
  '2026_11_24_1200_warehouse_external_stores': warehouseExternalStores,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
