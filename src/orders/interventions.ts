import { sql } from 'kysely';
import type { Executor } from '../db/index.js';
import type { Intervention } from '../db/schema.js';
import { AppError, RuleViolation } from '../lib/errors.js';
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

/**
 * The cause keys of the sources that name one row: one open entry per dead event, per dead outbox message,
 * per flagged order, per reconciliation finding about one subject.
 */
export const causeKeys = {
  event: (eventId: string) => `event:${eventId}`,
  outbox: (outboxId: number) => `outbox:${outboxId}`,
  orderAttention: (orderId: string) => `order_attention:${orderId}`,
  finding: (check: string, subjectId: string) => `reconciliation:${check}:${subjectId}`,
} as const;

/** The prefix every reconciliation finding's cause key starts with (acknowledgements apply to these only). */
export const FINDING_CAUSE_PREFIX = 'reconciliation:';

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
  /**
   * false: an open entry for the cause is left as it is (a reconciliation run making sure every dead row has
   * its entry, without counting one more occurrence per run). Default true.
   */
  refresh?: boolean;
}

/**
 * Opens an entry for a cause, or refreshes the cause's open entry (its summary, details, last-seen time and
 * occurrence count). Runs in the caller's transaction, so an entry exists exactly when what caused it was
 * committed. Undefined only with `refresh: false` when the cause already had an open entry.
 */
export async function openIntervention(
  db: Executor,
  input: OpenInterventionInput & { refresh: false },
): Promise<Intervention | undefined>;
export async function openIntervention(db: Executor, input: OpenInterventionInput): Promise<Intervention>;
export async function openIntervention(
  db: Executor,
  input: OpenInterventionInput,
): Promise<Intervention | undefined> {
  const insert = db
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
    .onConflict((oc) => {
      const open = oc.column('cause_key').where('state', '=', 'open');
      return input.refresh === false
        ? open.doNothing()
        : open.doUpdateSet({
            summary: (eb) => eb.ref('excluded.summary'),
            details: (eb) => eb.ref('excluded.details'),
            last_seen_at: sql`now()`,
            occurrences: sql`interventions.occurrences + 1`,
          });
    })
    .returningAll();
  return input.refresh === false ? insert.executeTakeFirst() : insert.executeTakeFirstOrThrow();
}

export interface ResolveInterventionInput {
  id: string;
  actor: string;
  note: string;
  /**
   * A reconciliation finding the operator looked at and found in order: later runs no longer report it. Only
   * reconciliation findings can be acknowledged (409 otherwise).
   */
  acknowledge?: boolean;
}

/**
 * Resolves an open entry, recording who and why; an entry about an order says so on its timeline too.
 * Resolving an entry that is already resolved is refused (409), so two operators cannot both resolve one.
 * An entry whose cause flagged its order (`details.attentionReason`) clears the order's attention flag when it
 * is still that reason. Run it in a transaction: the entry, the flag and the timeline change together.
 */
export async function resolveIntervention(
  db: Executor,
  input: ResolveInterventionInput,
): Promise<Intervention> {
  let update = db
    .updateTable('interventions')
    .set({
      state: 'resolved',
      resolved_at: sql`now()`,
      resolved_by: input.actor,
      resolution_note: input.note,
      acknowledged: input.acknowledge === true,
    })
    .where('id', '=', input.id)
    .where('state', '=', 'open');
  if (input.acknowledge) update = update.where('cause_key', 'like', `${FINDING_CAUSE_PREFIX}%`);
  const row = await update.returningAll().executeTakeFirst();
  if (!row) {
    const exists = await db
      .selectFrom('interventions')
      .select(['id', 'state'])
      .where('id', '=', input.id)
      .executeTakeFirst();
    if (!exists) throw new AppError('not_found', `intervention ${input.id} not found`);
    if (exists.state === 'resolved')
      throw new AppError('conflict', `intervention ${input.id} is already resolved`);
    throw new RuleViolation('not_a_finding', 'only a reconciliation finding can be acknowledged', {
      id: input.id,
    });
  }
  if (row.order_id) {
    let attentionCleared = false;
    const reason = row.details.attentionReason;
    if (typeof reason === 'string') {
      const cleared = await db
        .updateTable('orders')
        .set({ attention_reason: null, updated_at: sql`now()` })
        .where('id', '=', row.order_id)
        .where('attention_reason', '=', reason)
        .executeTakeFirst();
      attentionCleared = cleared.numUpdatedRows > 0n;
    }
    await addTimelineEvent(db, {
      orderId: row.order_id,
      type: 'intervention_resolved',
      actor: input.actor,
      message: `${input.acknowledge ? 'finding acknowledged' : 'intervention resolved'}: ${input.note} (was: ${row.summary})`,
      metadata: {
        interventionId: row.id,
        source: row.source,
        causeKey: row.cause_key,
        acknowledged: row.acknowledged,
        attentionCleared,
      },
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

export interface InterventionFilter {
  state?: 'open' | 'resolved' | undefined;
  source?: string | undefined;
  orderId?: string | undefined;
}

/**
 * A page of entries, newest first, and the filter's total. Each filter has an index (state, source, order);
 * the total is exact: entries are few (one per cause needing a person), not one per order.
 */
export async function listInterventions(
  db: Executor,
  filter: InterventionFilter,
  page: { limit: number; offset: number },
): Promise<{ rows: Intervention[]; total: number }> {
  let query = db.selectFrom('interventions');
  if (filter.state) query = query.where('state', '=', filter.state);
  if (filter.source) query = query.where('source', '=', filter.source);
  if (filter.orderId) query = query.where('order_id', '=', filter.orderId);
  const [rows, count] = await Promise.all([
    query
      .selectAll()
      .orderBy('opened_at', 'desc')
      .orderBy('id', 'desc')
      .limit(page.limit)
      .offset(page.offset)
      .execute(),
    query.select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(count.n) };
}

export function findIntervention(db: Executor, id: string): Promise<Intervention | undefined> {
  return db.selectFrom('interventions').selectAll().where('id', '=', id).executeTakeFirst();
}
