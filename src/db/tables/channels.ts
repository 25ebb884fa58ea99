/** Tables one channel owns: GoFood outlets, OneBasket baskets and provider orders, storefront and Razorpay. */
import type { ColumnType, Generated } from 'kysely';
import type { BigIntColumn, CreatedAt, IdentityColumn, Json, Timestamp } from './columns.js';

export type GofoodAcceptanceMode = 'auto' | 'auto_accept_on_timeout' | 'manual';

export interface GofoodOutletsTable {
  outlet_id: string;
  acceptance_mode: GofoodAcceptanceMode;
  warehouse_code: string | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
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
