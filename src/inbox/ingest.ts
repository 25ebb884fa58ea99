import { sql } from 'kysely';
import type { Db } from '../db/index.js';
import { sha256Hex } from '../lib/crypto.js';
import { AppError, errorMessage, isConnectionError } from '../lib/errors.js';
import { assertStorableJson } from '../lib/json.js';
import type { Logger } from '../lib/logger.js';

export interface IngestInput {
  /** The integration the event belongs to: `manual`, `yemeksepeti`, `gofood`, ... */
  source: string;
  /** The provider's event id or idempotency key; else a hash of the raw body is used. */
  dedupKey?: string | null | undefined;
  eventType: string;
  externalOrderId?: string | null | undefined;
  payload: unknown;
  /**
   * `payload` already serialised, when the route has it: the raw body the payload was parsed from (and
   * checked storable: no NUL, no lone surrogate, not too deep) is stored as received instead of being
   * stringified again (the column is `json`, which keeps the text).
   */
  payloadJson?: string;
  /** The exact bytes received, for the fallback dedup key. */
  rawBody?: string;
  /** Facts the route established that the handler needs (e.g. the category a token belongs to). */
  meta?: Record<string, unknown>;
}

export interface IngestResult {
  eventId: string;
  duplicate: boolean;
}

export interface IngestDeps {
  db: Db;
  logger: Logger;
  /**
   * Group commit (see `createInboxBatcher`): when set, calls are coalesced with concurrent ones into one
   * insert, with the same contract.
   */
  batcher?: { ingest(input: IngestInput): Promise<IngestResult> };
}

/**
 * The channel a stored event's id is announced on (NOTIFY, sent when the insert commits). The workers'
 * inbox enqueuer (src/inbox/enqueuer.ts) listens and adds the jobs; the sweeper adds any it missed.
 */
export const INBOX_CHANNEL = 'ordergate_inbox';

export const DATABASE_RETRY_AFTER_SECONDS = 5;

/** The 503 a sender gets when the inbox cannot be written: retry later, nothing was acknowledged. */
export function eventStoreUnavailable(cause: unknown): AppError {
  return new AppError('unavailable', 'the event store is unavailable; retry later', {
    cause,
    retryAfterMs: DATABASE_RETRY_AFTER_SECONDS * 1000,
  });
}

/**
 * The payload's text for the inbox: the route's raw body as is, else the payload stringified once it is
 * checked storable (a body from a provider API, not a push, has not been through the gateway's checks).
 */
export function payloadText(input: Pick<IngestInput, 'payload' | 'payloadJson'>): string {
  if (input.payloadJson !== undefined) return input.payloadJson;
  assertStorableJson(input.payload);
  const text: string | undefined = JSON.stringify(input.payload);
  if (text === undefined) throw new TypeError('the event payload is not JSON');
  return text;
}

export function dedupKeyFor(input: Pick<IngestInput, 'dedupKey' | 'rawBody' | 'payload'>): string {
  if (input.dedupKey) return input.dedupKey;
  return `sha256:${sha256Hex(input.rawBody ?? JSON.stringify(input.payload))}`;
}

/**
 * The ingestion contract every integration uses: store the event in the inbox (unique on source + dedup
 * key) and announce its id on INBOX_CHANNEL. A 2xx may be sent once this returns: the row is in Postgres.
 * Redis is not on this path: the workers turn announced rows into jobs (job id = inbox id), so a push is
 * acknowledged while Redis is down, and the sweeper enqueues rows whose announcement nobody heard. A duplicate
 * returns the first event's id and is not announced again.
 */
export function ingest(deps: IngestDeps, input: IngestInput): Promise<IngestResult> {
  return deps.batcher ? deps.batcher.ingest(input) : ingestOne(deps, input);
}

/** The unbatched path: one insert (plus a select for a duplicate) and its announcement. */
export async function ingestOne(deps: IngestDeps, input: IngestInput): Promise<IngestResult> {
  const dedupKey = dedupKeyFor(input);
  let inserted: { id: string } | undefined;
  try {
    inserted = await deps.db
      .insertInto('inbound_events')
      .values({
        source: input.source,
        dedup_key: dedupKey,
        event_type: input.eventType,
        external_order_id: input.externalOrderId ?? null,
        payload: payloadText(input),
        meta: input.meta ?? {},
        updated_at: new Date(),
      })
      .onConflict((oc) => oc.columns(['source', 'dedup_key']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) {
      const existing = await deps.db
        .selectFrom('inbound_events')
        .select('id')
        .where('source', '=', input.source)
        .where('dedup_key', '=', dedupKey)
        .executeTakeFirstOrThrow();
      return { eventId: existing.id, duplicate: true };
    }
  } catch (err) {
    if (isConnectionError(err)) throw eventStoreUnavailable(err);
    throw err;
  }
  const eventId = inserted.id;
  await sql`select pg_notify(${INBOX_CHANNEL}, ${eventId})`.execute(deps.db).catch((err: unknown) => {
    // The row is stored: the sender gets its 2xx, and the sweeper enqueues the unannounced row.
    deps.logger.warn(
      { eventId, err: errorMessage(err) },
      'event stored but not announced; the sweeper will enqueue it',
    );
  });
  return { eventId, duplicate: false };
}
