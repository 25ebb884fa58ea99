import type { Executor } from '../db/index.js';
import type { OrderEvent } from '../db/schema.js';

export type TimelineEventType =
  | 'created'
  | 'status_changed'
  | 'channel_status'
  | 'payment_status_changed'
  | 'cancelled'
  | 'refunded'
  | 'stock_reserved'
  | 'stock_released'
  | 'stock_committed'
  | 'provider_call'
  | 'attention'
  | 'attention_resolved'
  | 'note_added'
  | (string & {});

export interface TimelineEntry {
  orderId: string;
  type: TimelineEventType;
  actor: string;
  message: string;
  fromStatus?: string | null;
  toStatus?: string | null;
  metadata?: Record<string, unknown>;
}

/** Appends to the order's audit trail (who, what, from, to, why) and touches the order. */
export async function addTimelineEvent(db: Executor, entry: TimelineEntry): Promise<void> {
  await addTimelineEvents(db, [entry]);
}

/** The `order_events` row of an entry. */
export function timelineRow(entry: TimelineEntry) {
  return {
    order_id: entry.orderId,
    type: entry.type,
    actor: entry.actor,
    message: entry.message,
    from_status: entry.fromStatus ?? null,
    to_status: entry.toStatus ?? null,
    metadata: entry.metadata ?? {},
  };
}

/** Appends several entries in one statement; they get ascending ids in the order given. */
export async function addTimelineEvents(db: Executor, entries: readonly TimelineEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await db.insertInto('order_events').values(entries.map(timelineRow)).execute();
}

export function listTimeline(db: Executor, orderId: string): Promise<OrderEvent[]> {
  return db.selectFrom('order_events').selectAll().where('order_id', '=', orderId).orderBy('id').execute();
}
