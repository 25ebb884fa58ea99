import { expect } from 'vitest';
import { findOrderByExternalId } from '../../../src/orders/locks.js';
import { ONEBASKET_API_TOKEN, sendBasketEvent } from '../../support/fake-onebasket.js';
import { type TestSystem, waitFor } from '../../support/system.js';

/** Waits until the worker has finished the inbox event (processed, attention or dead); returns its outcome. */
export async function settled(system: TestSystem, eventId: string) {
  return waitFor(async () => {
    const row = await system.db
      .selectFrom('inbound_events')
      .select(['status', 'outcome'])
      .where('id', '=', eventId)
      .executeTakeFirst();
    return row && ['processed', 'attention', 'dead'].includes(row.status) ? row : undefined;
  });
}

/** How many inbound events are stored, of every source. */
export async function inboxCount(system: TestSystem): Promise<number> {
  const row = await system.db
    .selectFrom('inbound_events')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Sends a signed basket event and waits until the worker has handled it. */
export async function deliver(system: TestSystem, event: unknown) {
  const res = await sendBasketEvent(system, event);
  expect([200, 202]).toContain(res.status);
  const { eventId } = (await res.json()) as { eventId: string };
  return settled(system, eventId);
}

/** Sends a provider callback (expects it accepted) and waits until the worker has handled it. */
export async function deliverCallback(send: Promise<Response>) {
  const res = await send;
  expect([200, 202]).toContain(res.status);
  return (await res.json()) as { eventId: string };
}

export interface BasketView {
  state: string;
  paymentIntent: { id: string; amount: number; state: string } | null;
  providerBaskets: { providerId: string; lock: { state: string; reason: string | null } }[];
  history: { type: string; applied: boolean; note: string | null; providerId: string | null }[];
}

export async function basketView(system: TestSystem, id: string): Promise<BasketView> {
  const res = await system.admin(`/admin/onebasket/baskets/${id}`);
  expect(res.status).toBe(200);
  return (await res.json()) as BasketView;
}

export function onebasketOrder(system: TestSystem, basketId: string) {
  return waitFor(() => findOrderByExternalId(system.db, 'onebasket', basketId));
}

export function customerView(system: TestSystem, basketId: string, token = ONEBASKET_API_TOKEN) {
  return fetch(`${system.baseUrl}/api/onebasket/orders/${basketId}`, {
    headers: { authorization: `Bearer ${token}` },
  });
}

export async function orderDetail(system: TestSystem, orderId: string) {
  const res = await system.admin(`/admin/orders/${orderId}`);
  expect(res.status).toBe(200);
  return (await res.json()) as {
    status: string;
    paymentStatus: string;
    refundedTotal: number;
    total: number;
    providerOrders: {
      id: string;
      providerId: string;
      processing: string;
      fulfilment: string | null;
      externalRef: string | null;
      amount: number;
      items: unknown[];
      history: { state: string; applied: boolean; note: string | null }[];
    }[];
  };
}
