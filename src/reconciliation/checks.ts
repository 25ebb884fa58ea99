import { type RawBuilder, sql, type Transaction } from 'kysely';
import type { Config } from '../config.js';
import type { Db } from '../db/index.js';
import type { Database } from '../db/schema.js';
import type { Finding, Integration } from '../integrations/types.js';
import { causeKeys } from '../orders/interventions.js';
import { expectedPayments, shipmentChannels, stuckThresholds } from './channels.js';

export const SAMPLE = 20;

export type { Finding };

/** What the checks found; every finding is a count and a sample of ids. */
export interface CoreReport {
  /** Inbox events older than the sweep grace period that are still unfinished. */
  stuckEvents: Finding;
  deadEvents: Finding;
  attentionEvents: Finding;
  /** Outbox messages the relay has not moved for over a minute. */
  unrelayedOutbox: Finding;
  /** Outbox messages given up on (the provider never got them): replay with POST /admin/outbox/:id/replay. */
  deadOutbox: Finding;
  /** Orders flagged for attention (failed provider call, rule conflict). */
  attentionOrders: Finding;
  /** Orders still `pending` a day after creation. */
  stalePendingOrders: Finding;
  /** Orders in an open state past their channel's threshold for it, counted per `channel:state`. */
  stuckOrders: Finding & { byChannelAndState: Record<string, number> };
  /** Payment vs status: cancelled orders whose money was taken and not (fully) given back. */
  cancelledButPaid: Finding;
  /** Paid orders still `pending` past RECONCILE_PAID_UNCONFIRMED_MS. */
  paidNotConfirmed: Finding;
  /** Refunds that do not add up against the order's total and payment status. */
  amountMismatches: Finding;
  /** Shipped or delivered orders of channels that record shipments, without their row in order_shipments. */
  shippedWithoutShipment: Finding;
  /** Delivered orders of those channels whose shipment row has no delivery date. */
  deliveredWithoutDate: Finding;
  /** Inventory: reservations still open on orders that can no longer ship. */
  openReservationsOnFinishedOrders: Finding;
  /** Each channel's own checks (`Integration.reconciliation.checks`), by channel and check. */
  channels: Record<string, Record<string, Finding>>;
}

/** The checks whose findings are about one order each and can be acknowledged. */
export const orderFindings = [
  'stuckOrders',
  'cancelledButPaid',
  'paidNotConfirmed',
  'amountMismatches',
  'shippedWithoutShipment',
  'deliveredWithoutDate',
] as const;
export type OrderFindingName = (typeof orderFindings)[number];

/**
 * An order whose finding an operator acknowledged (resolved its entry as looked at and in order) is left out
 * of later runs: one probe of a partial index per matching order.
 */
export function notAcknowledged(check: string): RawBuilder<boolean> {
  return sql<boolean>`not exists (select 1 from interventions ack where ack.acknowledged
    and ack.cause_key = ${causeKeys.finding(check, '')} || orders.id::text)`;
}

/**
 * The core reconciliation checks (stuck work, payment consistency, inventory, shipping) and
 * each channel's own. A run is background work, so it takes one core at most: its statements run one at a
 * time, in one read-only snapshot (a count and its sample agree), without parallel workers. Side by side, its
 * statements took both cores from the order path for half a second every quarter hour (docs/benchmarks.md,
 * 2026-12-04). Every check over orders reads an index that holds only what it may report, or the open orders.
 */
export function coreChecks(
  db: Db,
  config: Config,
  integrations: readonly Integration[] = [],
): Promise<CoreReport> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (trx) => {
      await sql`set local max_parallel_workers_per_gather = 0`.execute(trx);
      return checksIn(trx, config, integrations);
    });
}

async function finding(
  rows: () => Promise<{ id: string }[]>,
  count: () => Promise<{ n: number }>,
): Promise<Finding> {
  const list = await rows();
  const total = await count();
  return { count: Number(total.n), sample: list.map((r) => r.id) };
}

/** Matches found once (a materialized CTE), then counted and sampled from there: one statement. */
async function matches(db: Transaction<Database>, ids: RawBuilder<unknown>): Promise<Finding> {
  const result = await sql<{ n: number; sample: string[] | null }>`
    with matches as materialized (${ids})
    select (select count(*)::int from matches) as n,
      (select array_agg(id::text) from (select id from matches order by id limit ${SAMPLE}) s) as sample`.execute(
    db,
  );
  return { count: Number(result.rows[0]?.n ?? 0), sample: result.rows[0]?.sample ?? [] };
}

/** `and (channel, payment_status) not in (…)`: the channel × payment pairs declared normal for a status. */
function unexpectedPayment(integrations: readonly Integration[], status: string): RawBuilder<boolean> {
  const expected = expectedPayments(integrations, status);
  if (expected.length === 0) return sql<boolean>`true`;
  const pairs = sql.join(expected.map((e) => sql`(${e.channel}::text, ${e.paymentStatus}::text)`));
  return sql<boolean>`(channel, payment_status) not in (${pairs})`;
}

async function checksIn(
  db: Transaction<Database>,
  config: Config,
  integrations: readonly Integration[],
): Promise<CoreReport> {
  const inbox = () => db.selectFrom('inbound_events');
  const orders = () => db.selectFrom('orders');
  const events = (where: (q: ReturnType<typeof inbox>) => ReturnType<typeof inbox>) =>
    finding(
      () => where(inbox()).select('id').orderBy('received_at').limit(SAMPLE).execute(),
      () => where(inbox()).select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow(),
    );
  const orderFinding = (where: (q: ReturnType<typeof orders>) => ReturnType<typeof orders>) =>
    finding(
      () => where(orders()).select('id').orderBy('created_at').limit(SAMPLE).execute(),
      () => where(orders()).select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow(),
    );
  const graceSeconds = config.SWEEP_AFTER_MS / 1000;

  const stuckEvents = await events((q) =>
    q
      .where('status', 'in', ['received', 'failed'])
      .where('updated_at', '<', sql<Date>`now() - make_interval(secs => ${graceSeconds})`),
  );
  const deadEvents = await events((q) => q.where('status', '=', 'dead'));
  const attentionEvents = await events((q) => q.where('status', '=', 'attention'));
  const attentionOrders = await orderFinding((q) => q.where('attention_reason', 'is not', null));
  const stalePendingOrders = await orderFinding((q) =>
    q.where('status', '=', 'pending').where('created_at', '<', sql<Date>`now() - interval '1 day'`),
  );
  // Constants in the text, not parameters: the predicate of its partial index (orders_cancelled_unrefunded),
  // which a generic plan could not match against parameters.
  const cancelledButPaid = await orderFinding((q) =>
    q
      .where(
        sql<boolean>`status = 'cancelled' and payment_status in ('paid', 'partially_refunded') and refunded_total < total`,
      )
      .where(unexpectedPayment(integrations, 'cancelled'))
      .where(notAcknowledged('cancelledButPaid')),
  );
  const outbox = () => db.selectFrom('outbox');
  const outboxFinding = (where: (q: ReturnType<typeof outbox>) => ReturnType<typeof outbox>) =>
    finding(
      () => where(outbox()).select(sql<string>`id::text`.as('id')).orderBy('id').limit(SAMPLE).execute(),
      () => where(outbox()).select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow(),
    );
  const unrelayedOutbox = await outboxFinding((q) =>
    q.where('status', '=', 'pending').where('created_at', '<', sql<Date>`now() - interval '1 minute'`),
  );
  const deadOutbox = await outboxFinding((q) => q.where('status', '=', 'dead'));
  // Both sides are large (every open order's reservations, every order ever cancelled) and their meeting is
  // empty in a healthy shop: the matches are found once, by a hash join, and counted and sampled from there.
  // (A sample with its own LIMIT let the planner walk every cancelled order looking for early matches: 3 s
  // at 1,000,000 orders, docs/benchmarks.md.)
  const openReservations = await matches(
    db,
    sql`select distinct o.id from stock_reservations r join orders o on o.id = r.order_id
      where r.status = 'reserved' and o.status in ('cancelled', 'refunded')`,
  );

  // Open orders only (orders_status_created_at): a live shop has few, whatever its history.
  const thresholds = stuckThresholds(integrations, config);
  const values = sql.join(
    thresholds.map((t) => sql`(${t.channel}::text, ${t.status}::text, ${t.seconds}::float8)`),
  );
  const stuck = await sql<{ n: number; sample: string[] | null; groups: Record<string, number> | null }>`
    with t(channel, status, secs) as (values ${values}),
    matches as materialized (
      select orders.id, orders.channel, orders.status from orders
      where orders.status in ('pending', 'confirmed', 'processing', 'shipped')
        and orders.updated_at < now() - make_interval(secs => coalesce(
          (select secs from t where t.channel = orders.channel and t.status = orders.status),
          (select secs from t where t.channel = '*' and t.status = orders.status)))
        and ${notAcknowledged('stuckOrders')})
    select (select count(*)::int from matches) as n,
      (select array_agg(id::text) from (select id from matches order by id limit ${SAMPLE}) s) as sample,
      (select jsonb_object_agg(k, c) from (select channel || ':' || status as k, count(*)::int as c
        from matches group by 1) g) as groups`.execute(db);
  const stuckRow = stuck.rows[0];
  const stuckOrders = {
    count: Number(stuckRow?.n ?? 0),
    sample: stuckRow?.sample ?? [],
    byChannelAndState: stuckRow?.groups ?? {},
  };

  const paidSeconds = config.RECONCILE_PAID_UNCONFIRMED_MS / 1000;
  const paidNotConfirmed = await orderFinding((q) =>
    q
      .where('status', '=', 'pending')
      .where('payment_status', '=', 'paid')
      .where('created_at', '<', sql<Date>`now() - make_interval(secs => ${paidSeconds})`)
      .where(unexpectedPayment(integrations, 'pending'))
      .where(notAcknowledged('paidNotConfirmed')),
  );
  // The predicate of orders_payment_mismatch, as constants.
  const amountMismatches = await orderFinding((q) =>
    q
      .where(
        sql<boolean>`(refunded_total > total
          or (payment_status = 'refunded' and refunded_total <> total)
          or (payment_status = 'partially_refunded' and (refunded_total <= 0 or refunded_total >= total)))`,
      )
      .where(notAcknowledged('amountMismatches')),
  );

  // Shipments are rows of order_shipments. A shipped or delivered order without one is found through its
  // channel's partial index of those orders whose row does not exist (`shipment_recorded`): one arm per
  // channel, its name a constant so the index's predicate matches. A delivered one whose row has no date is
  // found from the shipments still on their way (order_shipments_undelivered), each order looked up by key
  // (`offset 0` keeps it a lookup: as a join the planner may read every delivered order instead).
  const shipping = shipmentChannels(integrations);
  const none: Finding = { count: 0, sample: [] };
  const withoutRow = (channel: string) => sql`select orders.id from orders
    where orders.channel = ${sql.lit(channel)} and orders.status in ('shipped', 'delivered')
      and not orders.shipment_recorded
      and not exists (select 1 from order_shipments s where s.order_id = orders.id)
      and ${notAcknowledged('shippedWithoutShipment')}`;
  const shippedWithoutShipment =
    shipping.length === 0 ? none : await matches(db, sql.join(shipping.map(withoutRow), sql` union all `));
  const deliveredWithoutDate =
    shipping.length === 0
      ? none
      : await matches(
          db,
          sql`select o.id from order_shipments s cross join lateral (select orders.id from orders
            where orders.id = s.order_id and orders.status = 'delivered' and orders.channel in (${sql.join(shipping)})
              and ${notAcknowledged('deliveredWithoutDate')} offset 0) o
          where s.delivered_at is null`,
        );

  const channels: CoreReport['channels'] = {};
  for (const integration of integrations) {
    for (const [name, check] of Object.entries(integration.reconciliation?.checks ?? {})) {
      const found = await check.find(db, { config, notAcknowledged });
      channels[integration.source] = { ...channels[integration.source], [name]: found };
    }
  }

  return {
    stuckEvents,
    deadEvents,
    attentionEvents,
    unrelayedOutbox,
    deadOutbox,
    attentionOrders,
    stalePendingOrders,
    stuckOrders,
    cancelledButPaid,
    paidNotConfirmed,
    amountMismatches,
    shippedWithoutShipment,
    deliveredWithoutDate,
    openReservationsOnFinishedOrders: openReservations,
    channels,
  };
}
