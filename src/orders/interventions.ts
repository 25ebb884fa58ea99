import { sql } from 'kysely';
import type { Executor } from '../db/index.js';
import type { Intervention } from '../db/schema.js';
import { AppError } from '../lib/errors.js';
import { addTimelineEvent } from './timeline.js';

/** Where an entry comes from; each names one kind of cause. */
export type InterventionSource =
  | 'order_attention'
  | 'dead_event'
  | 'dead_outbox'
  | 'rule_refusal'
  | 'provider_order_rejected'
  | 'reconciliation'
  | 'payment_mismatch';

/** What the operator can do about an entry; the console and the API offer these. */
export type InterventionAction = 'replay' | 'refund' | 'contact_provider' | 'resolve' | 'review_order';

export interface OpenInterventionInput {
  source: InterventionSource;
  /** One cause, one open entry: the same key while an entry is open refreshes it instead of adding one. */
  causeKey: string;
  summary: string;
  orderId?: string | null;
  eventId?: string | null;
  outboxId?: number | null;
  details?: Record<string, unknown>;
  actions?: readonly InterventionAction[];
}

/**
 * Opens an entry for a cause, or refreshes the cause's open entry (its summary, details, last-seen time and
 * occurrence count). Runs in the caller's transaction, so an entry exists exactly when what caused it was
 * committed.
 */
export async function openIntervention(db: Executor, input: OpenInterventionInput): Promise<Intervention> {
  const row = await db
    .insertInto('interventions')
    .values({
      source: input.source,
      cause_key: input.causeKey,
      summary: input.summary,
      order_id: input.orderId ?? null,
      event_id: input.eventId ?? null,
      outbox_id: input.outboxId ?? null,
      details: input.details ?? {},
      // A JS array would be sent as a Postgres array literal, which is not JSON.
      actions: JSON.stringify(input.actions ?? ['resolve']),
    })
    .onConflict((oc) =>
      oc
        .column('cause_key')
        .where('state', '=', 'open')
        .doUpdateSet({
          summary: (eb) => eb.ref('excluded.summary'),
          details: (eb) => eb.ref('excluded.details'),
          last_seen_at: sql`now()`,
          occurrences: sql`interventions.occurrences + 1`,
        }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
  return row;
}

export interface ResolveInterventionInput {
  id: string;
  actor: string;
  note: string;
}

/**
 * Resolves an open entry, recording who and why; an entry about an order says so on its timeline too.
 * Resolving an entry that is already resolved is refused (409), so two operators cannot both resolve one.
 */
export async function resolveIntervention(
  db: Executor,
  input: ResolveInterventionInput,
): Promise<Intervention> {
  const row = await db
    .updateTable('interventions')
    .set({
      state: 'resolved',
      resolved_at: sql`now()`,
      resolved_by: input.actor,
      resolution_note: input.note,
    })
    .where('id', '=', input.id)
    .where('state', '=', 'open')
    .returningAll()
    .executeTakeFirst();
  if (!row) {
    const exists = await db
      .selectFrom('interventions')
      .select('id')
      .where('id', '=', input.id)
      .executeTakeFirst();
    if (!exists) throw new AppError('not_found', `intervention ${input.id} not found`);
    throw new AppError('conflict', `intervention ${input.id} is already resolved`);
  }
  if (row.order_id) {
    await addTimelineEvent(db, {
      orderId: row.order_id,
      type: 'intervention_resolved',
      actor: input.actor,
      message: input.note,
      metadata: { interventionId: row.id, source: row.source, causeKey: row.cause_key },
    });
  }
  return row;
}

/** Resolves the open entry of a cause, if any (a replay that succeeded settles its dead-event entry). */
export async function resolveInterventionByCause(
  db: Executor,
  causeKey: string,
  input: Omit<ResolveInterventionInput, 'id'>,
): Promise<Intervention | undefined> {
  const open = await db
    .selectFrom('interventions')
    .select('id')
    .where('cause_key', '=', causeKey)
    .where('state', '=', 'open')
    .executeTakeFirst();
  return open ? resolveIntervention(db, { id: open.id, ...input }) : undefined;
}
