import type { ColumnType, Generated, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
/** jsonb: objects in, objects out. */
type Json<T = Record<string, unknown>> = ColumnType<T, T | string | undefined, T | string>;
/** Money and other bigint columns, read as JS numbers (type parser installed in db/index.ts). */
type BigIntColumn = ColumnType<number, number | bigint | undefined, number | bigint>;
type IdentityColumn = ColumnType<number, never, never>;

export type InboundEventStatus = 'received' | 'failed' | 'processed' | 'dead' | 'attention';

export interface InboundEventsTable {
  id: Generated<string>;
  source: string;
  dedup_key: string;
  event_type: string;
  external_order_id: string | null;
  payload: Json<unknown>;
  meta: Json;
  status: ColumnType<InboundEventStatus, InboundEventStatus | undefined, InboundEventStatus>;
  attempts: Generated<number>;
  last_error: string | null;
  outcome: string | null;
  received_at: CreatedAt;
  processed_at: Timestamp | null;
  updated_at: Timestamp;
}

export interface CustomersTable {
  id: Generated<string>;
  channel: string;
  external_id: string | null;
  phone: string | null;
  email: string | null;
  name: string | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface WarehousesTable {
  code: string;
  category: string;
  name: string;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

/** Which warehouse serves a channel's store (e.g. a Yemeksepeti store id); one warehouse per store. */
export interface WarehouseExternalStoresTable {
  channel: string;
  external_store_id: string;
  warehouse_code: string;
  created_at: CreatedAt;
}

export interface StockLevelsTable {
  warehouse_code: string;
  sku: string;
  on_hand: number;
  reserved: Generated<number>;
  updated_at: Timestamp;
}

export interface OrderNumberSequencesTable {
  day: ColumnType<Date, string, string>;
  last_value: number;
}

export interface OrdersTable {
  id: Generated<string>;
  order_number: string;
  channel: string;
  external_order_id: string;
  status: string;
  channel_status: string | null;
  payment_status: Generated<string>;
  currency: string;
  subtotal: BigIntColumn;
  discount_total: BigIntColumn;
  shipping_total: BigIntColumn;
  tax_total: BigIntColumn;
  total: BigIntColumn;
  refunded_total: BigIntColumn;
  customer_id: string | null;
  warehouse_code: string | null;
  external_refs: Json<Record<string, string>>;
  attributes: Json;
  attention_reason: string | null;
  /** Whether the order has its row in order_shipments (kept by a trigger on that table). */
  shipment_recorded: Generated<boolean>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface OrderItemsTable {
  id: Generated<string>;
  order_id: string;
  line_no: number;
  external_id: string | null;
  sku: string;
  name: string;
  quantity: number;
  weight_grams: number | null;
  pricing_type: ColumnType<'unit' | 'kg', 'unit' | 'kg' | undefined, 'unit' | 'kg'>;
  unit_price: BigIntColumn;
  total_price: BigIntColumn;
  tax_rate_bp: number | null;
  status: Generated<string>;
  metadata: Json;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface StockReservationsTable {
  order_id: string;
  warehouse_code: string;
  sku: string;
  quantity: number;
  status: ColumnType<'reserved' | 'committed' | 'released', 'reserved' | undefined, 'committed' | 'released'>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface OrderEventsTable {
  id: IdentityColumn;
  order_id: string;
  type: string;
  from_status: string | null;
  to_status: string | null;
  actor: string;
  message: string;
  metadata: Json;
  created_at: CreatedAt;
}

export interface OrderChannelStatusesTable {
  id: IdentityColumn;
  order_id: string;
  channel_status: string;
  applied: boolean;
  note: string | null;
  event_id: string | null;
  occurred_at: Timestamp | null;
  recorded_at: CreatedAt;
}

export type OutboxStatus = 'pending' | 'enqueued' | 'delivered' | 'dead';

export interface OutboxTable {
  id: IdentityColumn;
  order_id: string | null;
  topic: string;
  payload: Json<unknown>;
  /** Back to `pending` only by an operator's replay of a dead message (`replayOutboxMessage`). */
  status: ColumnType<OutboxStatus, 'pending' | undefined, OutboxStatus>;
  created_at: CreatedAt;
  enqueued_at: Timestamp | null;
  finished_at: Timestamp | null;
  last_error: string | null;
}

export type GofoodAcceptanceMode = 'auto' | 'auto_accept_on_timeout' | 'manual';

export interface GofoodOutletsTable {
  outlet_id: string;
  acceptance_mode: GofoodAcceptanceMode;
  warehouse_code: string | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface ReconciliationRunsTable {
  id: Generated<string>;
  trigger: 'schedule' | 'manual' | 'cli';
  status: ColumnType<'running' | 'succeeded' | 'failed', 'running' | undefined, 'succeeded' | 'failed'>;
  window_start: Timestamp;
  window_end: Timestamp;
  report: Json;
  error: string | null;
  started_at: CreatedAt;
  finished_at: Timestamp | null;
}

export type InterventionState = 'open' | 'resolved';

/** Something that needs a person: one open entry per cause (`cause_key`). */
export interface InterventionsTable {
  id: Generated<string>;
  source: string;
  cause_key: string;
  state: ColumnType<InterventionState, InterventionState | undefined, InterventionState>;
  order_id: string | null;
  event_id: string | null;
  outbox_id: number | null;
  summary: string;
  details: Json;
  actions: Json<string[]>;
  occurrences: Generated<number>;
  opened_at: CreatedAt;
  last_seen_at: Timestamp;
  resolved_at: Timestamp | null;
  resolved_by: string | null;
  resolution_note: string | null;
  /** A reconciliation finding an operator looked at and found in order: later runs skip it. */
  acknowledged: Generated<boolean>;
}

export interface OnebasketProvidersTable {
  id: string;
  name: string;
  base_url: string;
  /** sha256 hex of the provider's callback token: the token itself is never stored. */
  callback_token_hash: string;
  supports_callbacks: boolean;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export type BasketState = 'mutable' | 'immutable' | 'completed';
export type PaymentIntentState = 'locking' | 'locked' | 'refused' | 'deleted';
export type LockState = 'none' | 'requested' | 'locked' | 'refused' | 'released';

export interface BasketItemJson {
  sku: string;
  name: string;
  quantity: number;
  unitPrice: number;
}

export interface OnebasketBasketsTable {
  id: string;
  state: BasketState;
  currency: string;
  customer: Json;
  content_at: Timestamp | null;
  payment_intent_id: string | null;
  payment_intent_amount: BigIntColumn | null;
  payment_intent_state: PaymentIntentState | null;
  order_id: string | null;
  completed_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface OnebasketProviderBasketsTable {
  basket_id: string;
  provider_id: string;
  items: Json<BasketItemJson[]>;
  lock_state: ColumnType<LockState, LockState | undefined, LockState>;
  lock_payment_intent_id: string | null;
  lock_reason: string | null;
  lock_answered_at: Timestamp | null;
}

export interface OnebasketBasketHistoryTable {
  id: IdentityColumn;
  basket_id: string;
  inbox_event_id: string | null;
  type: string;
  applied: boolean;
  note: string | null;
  payment_intent_id: string | null;
  provider_id: string | null;
  occurred_at: Timestamp | null;
  created_at: CreatedAt;
}

export type ProcessingState = 'sent' | 'confirmed' | 'rejected';
export type FulfilmentState = 'received' | 'in_progress' | 'ready' | 'fulfilled';

export interface ProviderOrdersTable {
  id: string;
  order_id: string;
  provider_id: string;
  items: Json<BasketItemJson[]>;
  amount: BigIntColumn;
  currency: string;
  tracks_fulfilment: boolean;
  processing_state: ColumnType<ProcessingState, ProcessingState | undefined, ProcessingState>;
  fulfilment_state: FulfilmentState | null;
  external_ref: string | null;
  reason: string | null;
  delivered_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface ProviderOrderHistoryTable {
  id: IdentityColumn;
  provider_order_id: string;
  /** `dispatch` (our call's answer), `callback` (the provider's event) or `ordergate`. */
  source: string;
  state: string;
  applied: boolean;
  note: string | null;
  inbox_event_id: string | null;
  occurred_at: Timestamp | null;
  created_at: CreatedAt;
}

export interface StorefrontProductsTable {
  sku: string;
  name: string;
  /** Minor units, GST excluded. */
  price: BigIntColumn;
  /** GST rate in basis points (18% = 1800). */
  gst_rate_bp: number;
  updated_at: Timestamp;
}

export interface StorefrontDiscountsTable {
  code: string;
  kind: 'percent' | 'fixed';
  /** Percent (1–100) or minor units. */
  value: BigIntColumn;
  min_subtotal: BigIntColumn | null;
  active: boolean;
  updated_at: Timestamp;
}

export interface StorefrontCheckoutsTable {
  order_id: string;
  customer_id: string;
  event_id: string;
  status: 'created' | 'failed';
  reason: string | null;
  created_at: CreatedAt;
}

export interface OrderShipmentsTable {
  order_id: string;
  carrier: string;
  tracking_number: string;
  shipped_at: CreatedAt;
  delivered_at: Timestamp | null;
}

export interface RazorpayOrdersTable {
  order_id: string;
  razorpay_order_id: string;
  amount: BigIntColumn;
  currency: string;
  created_at: CreatedAt;
}

export interface RazorpayPaymentsTable {
  payment_id: string;
  order_id: string;
  amount: BigIntColumn;
  currency: string;
  /** captured | failed | mismatch | duplicate | unexpected */
  status: string;
  error: string | null;
  updated_at: Timestamp;
}

export type StorefrontRefundStatus = 'requested' | 'pending' | 'processed';

export interface StorefrontRefundsTable {
  id: Generated<string>;
  order_id: string;
  amount: BigIntColumn;
  reason: string;
  status: StorefrontRefundStatus;
  payment_id: string | null;
  razorpay_refund_id: string | null;
  actor: string;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

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
