import { expect } from 'vitest';
import type { Order } from '../../../src/db/schema.js';
import { findOrderByExternalId } from '../../../src/orders/locks.js';
import {
  FakeGoBiz,
  type GofoodEventName,
  gofoodNotification,
  type OrderSpec,
  sendGofood,
} from '../../support/fake-gobiz.js';
import { startTestSystem, type TestSystem, waitFor } from '../../support/system.js';

export interface SentEvent {
  eventId: string;
  status: number;
}

/** Sends one GoFood event and waits until the worker has finished it (processed or attention). */
export async function deliver(
  system: TestSystem,
  event: GofoodEventName,
  spec: OrderSpec,
  options: { eventId?: string; idempotencyKey?: string } = {},
): Promise<SentEvent> {
  const res = await sendGofood(system.baseUrl, gofoodNotification(event, spec, options.eventId), {
    idempotencyKey: options.idempotencyKey ?? null,
  });
  expect([200, 202]).toContain(res.status);
  const { eventId } = (await res.json()) as { eventId: string };
  await waitFor(async () => {
    const row = await system.db
      .selectFrom('inbound_events')
      .select('status')
      .where('id', '=', eventId)
      .executeTakeFirst();
    return row && ['processed', 'attention', 'dead'].includes(row.status) ? row : undefined;
  });
  return { eventId, status: res.status };
}

export async function gofoodOrder(system: TestSystem, orderNumber: string): Promise<Order> {
  return waitFor(() => findOrderByExternalId(system.db, 'gofood', orderNumber));
}

export async function timeline(system: TestSystem, orderId: string) {
  return system.db
    .selectFrom('order_events')
    .select(['type', 'actor', 'message', 'from_status', 'to_status'])
    .where('order_id', '=', orderId)
    .orderBy('id')
    .execute();
}

export async function stockLevel(system: TestSystem, warehouse: string, sku: string) {
  return system.db
    .selectFrom('stock_levels')
    .select(['on_hand', 'reserved'])
    .where('warehouse_code', '=', warehouse)
    .where('sku', '=', sku)
    .executeTakeFirstOrThrow();
}

/** A warehouse with plenty of the fake notification's SKUs. */
export async function seedWarehouse(system: TestSystem, code: string, onHand = 100): Promise<void> {
  await system.db
    .insertInto('warehouses')
    .values({ code, category: 'food', name: `Kitchen ${code}`, updated_at: new Date() })
    .execute();
  await system.db
    .insertInto('stock_levels')
    .values(
      ['SKU-COMBO', 'SKU-AYAM'].map((sku) => ({
        warehouse_code: code,
        sku,
        on_hand: onHand,
        updated_at: new Date(),
      })),
    )
    .execute();
}

export async function configureOutlet(
  system: TestSystem,
  outletId: string,
  body: { acceptanceMode: string; warehouse?: string | null },
): Promise<Response> {
  return system.admin(`/admin/gofood/outlets/${outletId}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

let counter = 0;
/** A fresh GoFood order number per test. */
export function orderNumber(prefix = 'F'): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}`;
}

export interface GofoodHarness {
  system: TestSystem;
  gobiz: FakeGoBiz;
  stop(): Promise<void>;
}

/**
 * The product configured against a fake GoBiz, with each outlet set to its acceptance mode and its
 * warehouse seeded with the fake notification's SKUs.
 */
export async function startGofood(
  env: Record<string, string>,
  outlets: Record<string, { acceptanceMode: string; warehouse: string }>,
): Promise<GofoodHarness> {
  const gobiz = new FakeGoBiz();
  await gobiz.start();
  const system = await startTestSystem({ env: { ...gobiz.env(), ...env } });
  for (const warehouse of new Set(Object.values(outlets).map((o) => o.warehouse))) {
    await seedWarehouse(system, warehouse);
  }
  for (const [outletId, body] of Object.entries(outlets)) {
    expect((await configureOutlet(system, outletId, body)).status).toBe(200);
  }
  return {
    system,
    gobiz,
    stop: async () => {
      await system.stop();
      await gobiz.close();
    },
  };
}
