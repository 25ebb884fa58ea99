import { sql } from 'kysely';
import { z } from 'zod';
import type { Config } from '../../config.js';
import type { Db } from '../../db/index.js';
import type { IngestInput, IngestResult } from '../../inbox/ingest.js';
import { AppError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { type YemeksepetiApi, yemeksepetiClient } from './client.js';
import { YS_SOURCE } from './mapping.js';
import { type YsEventMeta, ysOrderSchema } from './schema.js';

export const RECOVER_JOB = 'yemeksepeti.recover';
export const RECOVERY_PAGE_SIZE = 100;
/** A runaway pagination (a provider that always says "one more page") stops here. */
const MAX_PAGES = 1000;
const DEFAULT_WINDOW_MS = 24 * 3600_000;

export const recoverInputSchema = z.object({
  chainId: z.string().min(1),
  vendorId: z.string().min(1),
  since: z.coerce.date().optional(),
  until: z.coerce.date().optional(),
  pageSize: z.number().int().min(1).max(500).optional(),
});
export type RecoverInput = z.infer<typeof recoverInputSchema>;

/** What a recovery did (`POST /admin/yemeksepeti/recover`'s answer, and its part of a reconciliation report). */
export const recoverResultSchema = z.object({
  chainId: z.string(),
  vendorId: z.string(),
  since: z.iso.datetime(),
  until: z.iso.datetime(),
  pages: z.int(),
  listed: z.int().describe('Orders the API listed'),
  ingested: z.int().describe('Orders we had never received, now in the inbox'),
  known: z.int().describe('Orders we already had (an inbox event or an order exists)'),
  invalid: z
    .int()
    .describe(
      'Listed bodies that fail the inbound schema (or hold text Postgres cannot store): not ingested',
    ),
});
export type RecoverResult = z.output<typeof recoverResultSchema>;

export interface RecoverDeps {
  config: Config;
  db: Db;
  logger: Logger;
  ingest(input: IngestInput): Promise<IngestResult>;
  api?: YemeksepetiApi;
}

/**
 * Lists a vendor's orders in [since, until) page by page and ingests every order we never received through
 * the same ingest path as the webhook, so the worker handles it exactly like a pushed body (and a second
 * recovery run, or the webhook arriving late, deduplicates). Default window: the last 24 hours.
 */
export async function recoverVendorOrders(deps: RecoverDeps, input: RecoverInput): Promise<RecoverResult> {
  const api = deps.api ?? yemeksepetiClient(deps.config);
  const until = input.until ?? new Date();
  const since = input.since ?? new Date(until.getTime() - DEFAULT_WINDOW_MS);
  const result: RecoverResult = {
    chainId: input.chainId,
    vendorId: input.vendorId,
    since: since.toISOString(),
    until: until.toISOString(),
    pages: 0,
    listed: 0,
    ingested: 0,
    known: 0,
    invalid: 0,
  };
  const pageSize = input.pageSize ?? RECOVERY_PAGE_SIZE;
  for (let page = 1; page <= MAX_PAGES; page++) {
    const listing = await api.listVendorOrders(input.chainId, input.vendorId, {
      startTime: since,
      endTime: until,
      page,
      pageSize,
    });
    result.pages = page;
    result.listed += listing.orders.length;
    for (const raw of listing.orders) {
      const parsed = ysOrderSchema.safeParse(raw);
      if (!parsed.success) {
        result.invalid++;
        continue;
      }
      const order = parsed.data;
      if (await isKnown(deps.db, order.order_id, order.status)) {
        result.known++;
        continue;
      }
      let ingested: IngestResult;
      try {
        ingested = await deps.ingest({
          source: YS_SOURCE,
          // One recovered event per order and status: a second run over the same window is a duplicate.
          dedupKey: `recovery:${order.order_id}:${order.status}`,
          eventType: `order.${order.status.toLowerCase()}`,
          externalOrderId: order.order_id,
          payload: raw,
          meta: { recovered: true, chainId: input.chainId, vendorId: input.vendorId } satisfies YsEventMeta,
        });
      } catch (err) {
        // Ingest refuses a body Postgres could not read back (a NUL, a lone surrogate): counted, not stored.
        if (err instanceof AppError && err.code === 'malformed_json') {
          result.invalid++;
          continue;
        }
        throw err;
      }
      if (ingested.duplicate) result.known++;
      else result.ingested++;
    }
    const last =
      listing.totalPages !== undefined ? page >= listing.totalPages : listing.orders.length < pageSize;
    if (last || listing.orders.length === 0) break;
  }
  deps.logger.info(
    { chainId: input.chainId, vendorId: input.vendorId, pages: result.pages, ingested: result.ingested },
    'yemeksepeti recovery finished',
  );
  return result;
}

/**
 * Whether we already hold this order in this status: an inbox event for the order carrying the same status
 * (pushed or recovered earlier), or the order itself showing it. An order we have in another status is not
 * known: a cancellation whose push we missed is recovered too.
 */
async function isKnown(db: Db, orderId: string, status: string): Promise<boolean> {
  const event = await db
    .selectFrom('inbound_events')
    .select('id')
    .where('source', '=', YS_SOURCE)
    .where('external_order_id', '=', orderId)
    .where(sql<string>`payload->>'status'`, '=', status)
    .limit(1)
    .executeTakeFirst();
  if (event) return true;
  const order = await db
    .selectFrom('orders')
    .select('id')
    .where('channel', '=', YS_SOURCE)
    .where('external_order_id', '=', orderId)
    .where('channel_status', '=', status)
    .executeTakeFirst();
  return order !== undefined;
}
