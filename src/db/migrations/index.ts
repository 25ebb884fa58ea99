import type { Migration, MigrationProvider } from 'kysely/migration';
import * as init from './2026_11_23_1500_init.js';
import * as gofoodOutlets from './2026_11_24_1100_gofood_outlets.js';
import * as warehouseExternalStores from './2026_11_24_1200_warehouse_external_stores.js';
import * as reconciliationRuns from './2026_11_24_1300_reconciliation_runs.js';
import * as outboxSettlement from './2026_11_24_1400_outbox_settlement.js';
import * as ordersSearchIndexes from './2026_11_25_1000_orders_search_indexes.js';
import * as inboxPayloadLz4 from './2026_11_25_1010_inbox_payload_lz4.js';
import * as inboxPayloadJson from './2026_12_01_1000_inbox_payload_json.js';
import * as outboxAdmin from './2026_12_02_1800_outbox_admin.js';
import * as reconciliationIndexes from './2026_12_04_0500_reconciliation_indexes.js';
import * as interventions from './2026_12_04_1600_interventions.js';
import * as orderTextSearch from './2026_12_04_1610_order_text_search.js';
import * as operations from './2026_12_05_0300_operations.js';
import * as inboxAutovacuum from './2026_12_05_0310_inbox_autovacuum.js';
import * as onebasket from './2026_12_05_0400_onebasket.js';
import * as storefront from './2026_12_05_0500_storefront.js';
import * as shipmentChecks from './2026_12_05_0600_shipment_checks.js';
import * as orderRefsValues from './2026_12_05_0700_order_refs_values.js';
import * as customerNameCase from './2026_12_05_0720_customer_name_case.js';
import * as customerNameAccents from './2026_12_05_0740_customer_name_accents.js';

/**
 * Every migration, by its frozen timestamped name. Listed statically so the same set runs under tsx, the
 * built JS and the tests, on pg and on PGlite. Add new ones at the end.
 */
const migrations: Record<string, Migration> = {
  '2026_11_23_1500_init': init,
  '2026_11_24_1100_gofood_outlets': gofoodOutlets,
  '2026_11_24_1200_warehouse_external_stores': warehouseExternalStores,
  '2026_11_24_1300_reconciliation_runs': reconciliationRuns,
  '2026_11_24_1400_outbox_settlement': outboxSettlement,
  '2026_11_25_1000_orders_search_indexes': ordersSearchIndexes,
  '2026_11_25_1010_inbox_payload_lz4': inboxPayloadLz4,
  '2026_12_01_1000_inbox_payload_json': inboxPayloadJson,
  '2026_12_02_1800_outbox_admin': outboxAdmin,
  '2026_12_04_0500_reconciliation_indexes': reconciliationIndexes,
  '2026_12_04_1600_interventions': interventions,
  '2026_12_04_1610_order_text_search': orderTextSearch,
  '2026_12_05_0300_operations': operations,
  '2026_12_05_0310_inbox_autovacuum': inboxAutovacuum,
  '2026_12_05_0400_onebasket': onebasket,
  '2026_12_05_0500_storefront': storefront,
  '2026_12_05_0600_shipment_checks': shipmentChecks,
  '2026_12_05_0700_order_refs_values': orderRefsValues,
  '2026_12_05_0720_customer_name_case': customerNameCase,
  '2026_12_05_0740_customer_name_accents': customerNameAccents,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
