import { randomUUID } from 'node:crypto';
import { inTransaction } from '../db/after-commit.js';
import type { Db } from '../db/index.js';
import type { Order } from '../db/schema.js';
import { sqlState } from '../lib/errors.js';
import { type NewOrderRef, orderCreatedMessage } from './events.js';
import { insertOrders, type NewOrder } from './insert-orders.js';
import {
  type ExternalOrderKey,
  externalKey,
  findOrdersByExternalIds,
  lockExternalOrders,
  type Trx,
} from './locks.js';
import { observeCreated } from './observe.js';
import type { CreateOrderInput } from './order-input.js';
import { allocateOrderNumber } from './order-number.js';
import { enqueueOutboxMany, type OutboxMessage } from './outbox.js';

export type { CreateOrderInput, OrderItemInput } from './order-input.js';
export { lineTotal } from './order-input.js';

export interface CreateOrderResult {
  order: Order;
  created: boolean;
}

/** One order to create, and what goes with it in its transaction. */
export interface CreateOrderRequest {
  input: CreateOrderInput;
  /**
   * The order's number when the caller allocated it already (`allocateOrderNumber`, e.g. beside its own
   * lookups); a number its order then does not use is a gap, as with any sequence.
   */
  orderNumber?: string;
  /**
   * Runs inside the transaction after the order exists (channel-specific records, outbox messages). It may run
   * twice (a transaction that lost a race is run again), so it writes through `trx` only.
   */
  inTx?: (trx: Trx, order: Order) => Promise<void>;
  /**
   * Outbox messages for the new order, after its `order.created` and any `inTx`: when no request of the batch
   * has an `inTx` they go in the statement that creates the orders, else in one insert after every `inTx`.
   */
  outbox?: (order: NewOrderRef) => OutboxMessage[];
  /**
   * Whether downstream subscribers hear of the order (`order.created`, default true). An order that is
   * cancelled when its creation commits is never announced.
   */
  announce?: boolean;
}

export interface CreateOrdersInput {
  requests: readonly CreateOrderRequest[];
  /**
   * The caller has just looked the orders up and found none, so the pre-transaction lookup is skipped. A
   * concurrent creation still returns the existing order with `created: false`: its row makes the insert fail
   * on the unique key, and the transaction runs again with a lookup under the order lock.
   */
  existenceChecked?: boolean;
}

/**
 * Creates customer, order, items, stock reservation and the order's `order.created` message in one
 * transaction, idempotent on (channel, external order id): a second call returns the existing order with
 * `created: false`.
 */
export async function createOrder(
  db: Db,
  request: CreateOrderRequest & Pick<CreateOrdersInput, 'existenceChecked'>,
): Promise<CreateOrderResult> {
  const { existenceChecked, ...one } = request;
  const [result] = await createOrders(db, {
    requests: [one],
    ...(existenceChecked ? { existenceChecked } : {}),
  });
  if (!result) throw new Error('createOrders returned no result');
  return result;
}

/** A request with its place in the batch. */
interface Pending {
  i: number;
  input: CreateOrderInput;
  request: CreateOrderRequest;
}
type Numbered = Pending & { orderNumber: string };
type Results = (CreateOrderResult | undefined)[];

const keyOf = (input: CreateOrderInput) => externalKey(input.channel, input.externalOrderId);
const keysOf = (list: readonly { input: CreateOrderInput }[]): ExternalOrderKey[] =>
  list.map(({ input }) => ({ channel: input.channel, externalOrderId: input.externalOrderId }));

/** Answers the requests whose order exists with `created: false`; returns the others. */
function answerExisting<P extends Pending>(results: Results, pending: P[], existing: Order[]): P[] {
  const byKey = new Map(existing.map((o) => [externalKey(o.channel, o.external_order_id), o]));
  return pending.filter(({ i, input }) => {
    const order = byKey.get(keyOf(input));
    if (order) results[i] = { order, created: false };
    return !order;
  });
}

/**
 * `createOrder` for several orders in one transaction of a fixed number of statements (the lock, then one
 * statement writing every table: `insertOrders`), which is what lets a worker keep up with a marketplace's
 * rush: the orders' external locks are taken in one statement in a fixed order (two batches never deadlock),
 * every order's stock is locked and checked together, and a shortage anywhere fails the whole batch with
 * StockShortageError (the caller then decides order by order). Results are in request order; an order that
 * already existed, or appears twice in the batch, comes back with `created: false`.
 */
export async function createOrders(db: Db, batch: CreateOrdersInput): Promise<CreateOrderResult[]> {
  const results: Results = batch.requests.map(() => undefined);
  let pending: Pending[] = batch.requests.map((request, i) => ({ i, input: request.input, request }));
  if (!batch.existenceChecked) {
    pending = answerExisting(results, pending, await findOrdersByExternalIds(db, keysOf(pending)));
  }
  if (pending.length > 0) {
    // Allocated before the transaction (one coalesced statement) so the day's counter row is locked for one
    // statement only; a caller may have allocated them already, beside its own lookups.
    const numbered = await Promise.all(
      pending.map(async (p) => ({
        ...p,
        orderNumber: p.request.orderNumber ?? (await allocateOrderNumber(db)),
      })),
    );
    // The orders were looked up just before (here or by the caller), so the creation goes ahead under the
    // lock without looking again; an order created meanwhile makes the insert fail on the unique key, and
    // the transaction runs once more, looking under the lock this time.
    try {
      await inTransaction(db, (trx) => createUnderLock(trx, results, numbered, false));
    } catch (err) {
      if (sqlState(err) !== '23505') throw err;
      for (const { i } of numbered) results[i] = undefined;
      await inTransaction(db, (trx) => createUnderLock(trx, results, numbered, true));
    }
  }
  return results.map((result) => {
    if (!result) throw new Error('an order of the batch was neither created nor found');
    if (result.created) observeCreated(result.order);
    return result;
  });
}

/** The batch's transaction: lock, (look,) insert, run each `inTx`, write the outbox; fills `results`. */
async function createUnderLock(
  trx: Trx,
  results: Results,
  numbered: readonly Numbered[],
  lookUnderLock: boolean,
): Promise<void> {
  await lockExternalOrders(
    trx,
    numbered.map(({ input }) => keyOf(input)),
  );
  const fresh = lookUnderLock
    ? answerExisting(results, [...numbered], await findOrdersByExternalIds(trx, keysOf(numbered)))
    : numbered;
  const firsts = new Map<string, Numbered>();
  for (const entry of fresh) if (!firsts.has(keyOf(entry.input))) firsts.set(keyOf(entry.input), entry);
  const creating = [...firsts.values()].map((entry) => ({ ...entry, id: entry.input.id ?? randomUUID() }));
  // Without `inTx` callbacks nothing has to be written between the orders and their outbox messages.
  const outboxInline = creating.every(({ request }) => !request.inTx);
  const orders = await insertOrders(
    trx,
    creating,
    outboxInline
      ? creating.flatMap(({ id, input, orderNumber, request }) =>
          messagesOf(request, newOrderRef(id, orderNumber, input), input.status ?? 'pending'),
        )
      : [],
  );
  creating.forEach(({ i }, n) => {
    const order = orders[n];
    if (order) results[i] = { order, created: true };
  });
  if (!outboxInline) await runInTx(trx, results, creating);
  // The same external order twice in one batch: the later requests get the order the first created.
  for (const { i, input } of fresh) {
    const first = firsts.get(keyOf(input));
    const order = first ? results[first.i]?.order : undefined;
    if (first && first.i !== i && order) results[i] = { order, created: false };
  }
}

/** Each created order's `inTx`, then every outbox message of the batch in one insert. */
async function runInTx(
  trx: Trx,
  results: Results,
  creating: readonly (Numbered & NewOrder)[],
): Promise<void> {
  const created = creating.flatMap(({ i, request }) => {
    const order = results[i]?.order;
    return order ? [{ order, request }] : [];
  });
  for (const { order, request } of created) if (request.inTx) await request.inTx(trx, order);
  // An `inTx` may have cancelled its order: whether it is announced depends on its status at commit.
  const changed = created.filter(({ request }) => request.inTx).map(({ order }) => order.id);
  const statuses = new Map(
    changed.length === 0
      ? []
      : (await trx.selectFrom('orders').select(['id', 'status']).where('id', 'in', changed).execute()).map(
          (row) => [row.id, row.status] as const,
        ),
  );
  await enqueueOutboxMany(
    trx,
    created.flatMap(({ order, request }) =>
      messagesOf(request, order, statuses.get(order.id) ?? order.status),
    ),
  );
}

/** A new order's outbox messages: its `order.created` (unless it is cancelled or not announced), then the caller's. */
function messagesOf(
  request: CreateOrderRequest,
  order: NewOrderRef,
  statusAtCommit: string,
): OutboxMessage[] {
  const announced = request.announce !== false && statusAtCommit !== 'cancelled';
  return [...(announced ? [orderCreatedMessage(order)] : []), ...(request.outbox?.(order) ?? [])];
}

function newOrderRef(id: string, orderNumber: string, input: CreateOrderInput): NewOrderRef {
  return {
    id,
    order_number: orderNumber,
    channel: input.channel,
    external_order_id: input.externalOrderId,
    status: input.status ?? 'pending',
  };
}
