/** The pipeline's tables around the orders: inbox, outbox, reconciliation runs and interventions. */
import type { ColumnType, Generated } from 'kysely';
import type { CreatedAt, IdentityColumn, Json, Timestamp } from './columns.js';

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
