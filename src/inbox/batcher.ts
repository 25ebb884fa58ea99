import { sql } from 'kysely';
import type { Db } from '../db/index.js';
import { PREPARED } from '../db/prepared.js';
import { createCoalescer, type Settled, settle, unwrap } from '../lib/coalesce.js';
import { isConnectionError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import {
  dedupKeyFor,
  eventStoreUnavailable,
  INBOX_CHANNEL,
  type IngestInput,
  type IngestResult,
  ingestOne,
  payloadText,
} from './ingest.js';

/**
 * Group commit for the inbox. Concurrent `ingest` calls are coalesced into one multi-row
 * `insert ... on conflict do nothing returning` that also announces the new ids (NOTIFY, delivered at its
 * commit), so the gateway pays one Postgres commit (one WAL flush) per batch instead of per request. The
 * per-request contract is unchanged: each caller's promise resolves only after its row is committed; a
 * duplicate, also within one batch, gets the first event's id and `duplicate: true`; a database outage
 * rejects every caller of the batch with the 503 `unavailable` error.
 *
 * There is no fixed linger: the first call schedules a flush for the end of the current event-loop turn
 * (so requests parsed in the same turn share it), and while `maxInFlight` flushes are running, new calls
 * wait and ride the next one. Under light load a request is flushed alone and immediately; under heavy
 * load batches grow to `maxBatch` by themselves.
 */
export interface InboxBatcherOptions {
  /** Most rows in one insert. */
  maxBatch?: number;
  /** Most flushes running at once (each holds one pool connection). */
  maxInFlight?: number;
  /** Extra wait before a flush, to grow batches at moderate load; 0 = end of the current turn. */
  lingerMs?: number;
}

export interface InboxBatcherDeps {
  db: Db;
  logger: Logger;
}

export interface InboxBatcher {
  ingest(input: IngestInput): Promise<IngestResult>;
  /** Resolves when every accepted call has settled. */
  drain(): Promise<void>;
}

interface Pending {
  input: IngestInput;
  key: string;
  payload: string;
}

/** One unique (source, dedup key) of a batch and the positions of every caller that asked for it. */
interface Group {
  source: string;
  dedupKey: string;
  first: Pending;
  positions: number[];
}

const KEY_SEPARATOR = '\u0000';

export function createInboxBatcher(deps: InboxBatcherDeps, options: InboxBatcherOptions = {}): InboxBatcher {
  const coalescer = createCoalescer<Pending, Settled<IngestResult>>((batch) => flush(deps, batch), {
    maxBatch: options.maxBatch ?? 128,
    maxInFlight: options.maxInFlight ?? 2,
    lingerMs: options.lingerMs ?? 0,
  });
  return {
    async ingest(input) {
      const key = dedupKeyFor(input);
      const payload = payloadText(input);
      return unwrap(await coalescer.submit({ input, key, payload }));
    },
    drain: () => coalescer.drain(),
  };
}

/** Stores and announces one batch; every caller gets its own outcome. */
async function flush(deps: InboxBatcherDeps, batch: readonly Pending[]): Promise<Settled<IngestResult>[]> {
  const outcomes: Settled<IngestResult>[] = batch.map(() => ({ ok: false, error: new Error('not settled') }));
  const groups = new Map<string, Group>();
  batch.forEach((p, position) => {
    const id = `${p.input.source}${KEY_SEPARATOR}${p.key}`;
    const group = groups.get(id);
    if (group) group.positions.push(position);
    else groups.set(id, { source: p.input.source, dedupKey: p.key, first: p, positions: [position] });
  });
  /** The first caller of a key gets the result; the others of the same batch are its duplicates. */
  const settleGroup = (group: Group, result: Settled<IngestResult>) => {
    group.positions.forEach((position, n) => {
      outcomes[position] =
        n === 0 || !result.ok
          ? result
          : { ok: true, value: { eventId: result.value.eventId, duplicate: true } };
    });
  };

  let stored: Map<string, { id: string; inserted: boolean }>;
  try {
    stored = await storeGroups(deps.db, [...groups.values()]);
  } catch (err) {
    if (isConnectionError(err)) return batch.map(() => ({ ok: false, error: eventStoreUnavailable(err) }));
    // One bad row (a payload Postgres refuses) must not fail the others: fall back to one at a time.
    if (groups.size === 1) return batch.map(() => ({ ok: false, error: err }));
    await Promise.all(
      [...groups.values()].map(async (g) => settleGroup(g, await settle(ingestOne(deps, g.first.input)))),
    );
    return outcomes;
  }

  for (const [id, group] of groups) {
    const row = stored.get(id);
    settleGroup(
      group,
      row
        ? {
            ok: true,
            value: { eventId: row.id, duplicate: !row.inserted },
          }
        : // Cannot happen (every key was inserted or selected); never leave a caller hanging.
          {
            ok: false,
            error: new Error(`inbox row for ${group.source}/${group.dedupKey} not found after insert`),
          },
    );
  }
  return outcomes;
}

/**
 * Inserts the batch in one statement, which also NOTIFYs each new row's id on INBOX_CHANNEL; keys that
 * already existed are looked up in a second one. The rows go
 * in as one array per column through `unnest` (the JSON columns as one JSON array each, concatenated from the
 * already serialised documents, so nothing is escaped twice), so the statement text (and Postgres' plan) is the same
 * whatever the batch size, and building it costs the same for 1 row or 128.
 */
async function storeGroups(db: Db, groups: Group[]): Promise<Map<string, { id: string; inserted: boolean }>> {
  const sources: string[] = [];
  const keys: string[] = [];
  const types: string[] = [];
  const orders: (string | null)[] = [];
  const payloads: string[] = [];
  const metas: string[] = [];
  for (const g of groups) {
    sources.push(g.source);
    keys.push(g.dedupKey);
    types.push(g.first.input.eventType);
    orders.push(g.first.input.externalOrderId ?? null);
    payloads.push(g.first.payload);
    metas.push(JSON.stringify(g.first.input.meta ?? {}));
  }
  // A named prepared statement (src/db/prepared.ts): Postgres plans it once per connection, not per batch.
  const { rows: inserted } = await sql<{ id: string; source: string; dedup_key: string }>`${sql.raw(PREPARED)}
    with inserted as (
      insert into inbound_events (source, dedup_key, event_type, external_order_id, payload, meta)
      select s, k, t, o, p, m
      from rows from (unnest(${sources}::text[]), unnest(${keys}::text[]), unnest(${types}::text[]),
        unnest(${orders}::text[]), json_array_elements(${`[${payloads.join(',')}]`}::json),
        jsonb_array_elements(${`[${metas.join(',')}]`}::jsonb)) as r(s, k, t, o, p, m)
      on conflict (source, dedup_key) do nothing
      returning id, source, dedup_key
    )
    select id, source, dedup_key, pg_notify(${INBOX_CHANNEL}, id::text)::text as announced
    from inserted`.execute(db);
  const result = new Map<string, { id: string; inserted: boolean }>();
  for (const row of inserted) {
    result.set(`${row.source}${KEY_SEPARATOR}${row.dedup_key}`, { id: row.id, inserted: true });
  }
  if (result.size < groups.length) {
    const missing = groups.filter((g) => !result.has(`${g.source}${KEY_SEPARATOR}${g.dedupKey}`));
    const existing = await db
      .selectFrom('inbound_events')
      .select(['id', 'source', 'dedup_key'])
      .where((eb) =>
        eb.or(missing.map((g) => eb.and([eb('source', '=', g.source), eb('dedup_key', '=', g.dedupKey)]))),
      )
      .execute();
    for (const row of existing) {
      result.set(`${row.source}${KEY_SEPARATOR}${row.dedup_key}`, { id: row.id, inserted: false });
    }
  }
  return result;
}
