import { sql } from 'kysely';
import type { Executor } from '../db/index.js';
import type { Order } from '../db/schema.js';
import { addTimelineEvent } from './timeline.js';

export interface ChannelStatusInput {
  order: Order;
  /** The status as the channel names it. */
  channelStatus: string;
  /** Whether the channel status changed our order (false: stale or illegal, recorded only). */
  applied: boolean;
  note?: string;
  eventId?: string | undefined;
  occurredAt?: Date | null;
}

/**
 * Keeps the channel's own status beside the internal one, with its history. A stale or illegal external
 * status is recorded with `applied: false` and a note, never silently dropped.
 */
export async function recordChannelStatus(trx: Executor, input: ChannelStatusInput): Promise<void> {
  const { order, channelStatus, applied, note } = input;
  await trx
    .insertInto('order_channel_statuses')
    .values({
      order_id: order.id,
      channel_status: channelStatus,
      applied,
      note: note ?? null,
      event_id: input.eventId ?? null,
      occurred_at: input.occurredAt ?? null,
    })
    .execute();
  if (applied) {
    await trx
      .updateTable('orders')
      .set({ channel_status: channelStatus, updated_at: sql`now()` })
      .where('id', '=', order.id)
      .execute();
  }
  if (!applied || note) {
    await addTimelineEvent(trx, {
      orderId: order.id,
      type: 'channel_status',
      actor: `channel:${order.channel}`,
      message: applied
        ? `${order.channel} status ${channelStatus}: ${note}`
        : `${order.channel} status ${channelStatus} recorded, not applied: ${note ?? 'stale'}`,
      metadata: { channelStatus, applied, eventId: input.eventId ?? null },
    });
  }
}

/**
 * Whether `eventId` already left its channel status on the order: a job that ran to its commit but not to
 * marking the inbox row runs again (at-least-once), and must then change nothing.
 */
export async function channelStatusRecorded(
  trx: Executor,
  orderId: string,
  eventId: string,
): Promise<boolean> {
  const row = await trx
    .selectFrom('order_channel_statuses')
    .select('id')
    .where('order_id', '=', orderId)
    .where('event_id', '=', eventId)
    .executeTakeFirst();
  return row !== undefined;
}
