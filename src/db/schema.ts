/** The database as Kysely sees it: every table, and the row types the code reads. */
import type { Selectable } from 'kysely';
import type * as channels from './tables/channels.js';
import type * as operations from './tables/operations.js';
import type * as orders from './tables/orders.js';

export type * from './tables/channels.js';
export type * from './tables/operations.js';
export type * from './tables/orders.js';

export interface Database {
  inbound_events: operations.InboundEventsTable;
  customers: orders.CustomersTable;
  warehouses: orders.WarehousesTable;
  warehouse_external_stores: orders.WarehouseExternalStoresTable;
  stock_levels: orders.StockLevelsTable;
  order_number_sequences: orders.OrderNumberSequencesTable;
  orders: orders.OrdersTable;
  order_items: orders.OrderItemsTable;
  stock_reservations: orders.StockReservationsTable;
  order_events: orders.OrderEventsTable;
  order_channel_statuses: orders.OrderChannelStatusesTable;
  outbox: operations.OutboxTable;
  gofood_outlets: channels.GofoodOutletsTable;
  reconciliation_runs: operations.ReconciliationRunsTable;
  interventions: operations.InterventionsTable;
  onebasket_providers: channels.OnebasketProvidersTable;
  onebasket_baskets: channels.OnebasketBasketsTable;
  onebasket_provider_baskets: channels.OnebasketProviderBasketsTable;
  onebasket_basket_history: channels.OnebasketBasketHistoryTable;
  provider_orders: channels.ProviderOrdersTable;
  provider_order_history: channels.ProviderOrderHistoryTable;
  storefront_products: channels.StorefrontProductsTable;
  storefront_discounts: channels.StorefrontDiscountsTable;
  storefront_checkouts: channels.StorefrontCheckoutsTable;
  order_shipments: orders.OrderShipmentsTable;
  razorpay_orders: channels.RazorpayOrdersTable;
  razorpay_payments: channels.RazorpayPaymentsTable;
  storefront_refunds: channels.StorefrontRefundsTable;
}

export type InboundEvent = Selectable<operations.InboundEventsTable>;
export type Customer = Selectable<orders.CustomersTable>;
export type Order = Selectable<orders.OrdersTable>;
export type OrderItem = Selectable<orders.OrderItemsTable>;
export type OrderEvent = Selectable<orders.OrderEventsTable>;
export type OrderChannelStatus = Selectable<orders.OrderChannelStatusesTable>;
export type OutboxRow = Selectable<operations.OutboxTable>;
export type Warehouse = Selectable<orders.WarehousesTable>;
export type GofoodOutlet = Selectable<channels.GofoodOutletsTable>;
export type ReconciliationRun = Selectable<operations.ReconciliationRunsTable>;
export type Intervention = Selectable<operations.InterventionsTable>;
export type OnebasketProvider = Selectable<channels.OnebasketProvidersTable>;
export type OnebasketBasket = Selectable<channels.OnebasketBasketsTable>;
export type OnebasketProviderBasket = Selectable<channels.OnebasketProviderBasketsTable>;
export type ProviderOrder = Selectable<channels.ProviderOrdersTable>;
export type OrderShipment = Selectable<orders.OrderShipmentsTable>;
