/** The order model's tables: customers, warehouses and stock, orders with their items, timeline and statuses. */
import type { ColumnType, Generated } from 'kysely';
import type { BigIntColumn, CreatedAt, IdentityColumn, Json, Timestamp } from './columns.js';

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

export interface OrderShipmentsTable {
  order_id: string;
  carrier: string;
  tracking_number: string;
  shipped_at: CreatedAt;
  delivered_at: Timestamp | null;
}
