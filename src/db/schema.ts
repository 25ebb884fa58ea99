/** The database as Kysely sees it: every table, and the row types the code reads. */
import type { Selectable } from 'kysely';
import type {
  GofoodOutletsTable,
  OnebasketBasketHistoryTable,
  OnebasketBasketsTable,
  OnebasketProviderBasketsTable,
  OnebasketProvidersTable,
  ProviderOrderHistoryTable,
  ProviderOrdersTable,
  RazorpayOrdersTable,
  RazorpayPaymentsTable,
  StorefrontCheckoutsTable,
  StorefrontDiscountsTable,
  StorefrontProductsTable,
  StorefrontRefundsTable,
} from './tables/channels.js';
import type {
  InboundEventsTable,
  InterventionsTable,
  OutboxTable,
  ReconciliationRunsTable,
} from './tables/operations.js';
import type {
  CustomersTable,
  OrderChannelStatusesTable,
  OrderEventsTable,
  OrderItemsTable,
  OrderNumberSequencesTable,
  OrderShipmentsTable,
  OrdersTable,
  StockLevelsTable,
  StockReservationsTable,
  WarehouseExternalStoresTable,
  WarehousesTable,
} from './tables/orders.js';

export type {
  BasketItemJson,
  BasketState,
  FulfilmentState,
  GofoodAcceptanceMode,
  GofoodOutletsTable,
  LockState,
  OnebasketBasketHistoryTable,
  OnebasketBasketsTable,
  OnebasketProviderBasketsTable,
  OnebasketProvidersTable,
  PaymentIntentState,
  ProcessingState,
  ProviderOrderHistoryTable,
  ProviderOrdersTable,
  RazorpayOrdersTable,
  RazorpayPaymentsTable,
  StorefrontCheckoutsTable,
  StorefrontDiscountsTable,
  StorefrontProductsTable,
  StorefrontRefundStatus,
  StorefrontRefundsTable,
} from './tables/channels.js';
export type {
  InboundEventStatus,
  InboundEventsTable,
  InterventionState,
  InterventionsTable,
  OutboxStatus,
  OutboxTable,
  ReconciliationRunsTable,
} from './tables/operations.js';
export type {
  CustomersTable,
  OrderChannelStatusesTable,
  OrderEventsTable,
  OrderItemsTable,
  OrderNumberSequencesTable,
  OrderShipmentsTable,
  OrdersTable,
  StockLevelsTable,
  StockReservationsTable,
  WarehouseExternalStoresTable,
  WarehousesTable,
} from './tables/orders.js';

export interface Database {
  inbound_events: InboundEventsTable;
  customers: CustomersTable;
  warehouses: WarehousesTable;
  warehouse_external_stores: WarehouseExternalStoresTable;
  stock_levels: StockLevelsTable;
  order_number_sequences: OrderNumberSequencesTable;
  orders: OrdersTable;
  order_items: OrderItemsTable;
  stock_reservations: StockReservationsTable;
  order_events: OrderEventsTable;
  order_channel_statuses: OrderChannelStatusesTable;
  outbox: OutboxTable;
  gofood_outlets: GofoodOutletsTable;
  reconciliation_runs: ReconciliationRunsTable;
  interventions: InterventionsTable;
  onebasket_providers: OnebasketProvidersTable;
  onebasket_baskets: OnebasketBasketsTable;
  onebasket_provider_baskets: OnebasketProviderBasketsTable;
  onebasket_basket_history: OnebasketBasketHistoryTable;
  provider_orders: ProviderOrdersTable;
  provider_order_history: ProviderOrderHistoryTable;
  storefront_products: StorefrontProductsTable;
  storefront_discounts: StorefrontDiscountsTable;
  storefront_checkouts: StorefrontCheckoutsTable;
  order_shipments: OrderShipmentsTable;
  razorpay_orders: RazorpayOrdersTable;
  razorpay_payments: RazorpayPaymentsTable;
  storefront_refunds: StorefrontRefundsTable;
}

export type InboundEvent = Selectable<InboundEventsTable>;
export type Customer = Selectable<CustomersTable>;
export type Order = Selectable<OrdersTable>;
export type OrderItem = Selectable<OrderItemsTable>;
export type OrderEvent = Selectable<OrderEventsTable>;
export type OrderChannelStatus = Selectable<OrderChannelStatusesTable>;
export type OutboxRow = Selectable<OutboxTable>;
export type Warehouse = Selectable<WarehousesTable>;
export type GofoodOutlet = Selectable<GofoodOutletsTable>;
export type ReconciliationRun = Selectable<ReconciliationRunsTable>;
export type Intervention = Selectable<InterventionsTable>;
export type OnebasketProvider = Selectable<OnebasketProvidersTable>;
export type OnebasketBasket = Selectable<OnebasketBasketsTable>;
export type OnebasketProviderBasket = Selectable<OnebasketProviderBasketsTable>;
export type ProviderOrder = Selectable<ProviderOrdersTable>;
export type OrderShipment = Selectable<OrderShipmentsTable>;
