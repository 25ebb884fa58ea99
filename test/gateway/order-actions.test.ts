/**
 * Nothing is done on our side that the order's channel cannot carry to its provider: the admin API runs only
 * the actions a channel declares, on every channel. A new integration is checked here by being registered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coreOrderActions } from '../../src/integrations/core-actions.js';
import { integrations } from '../../src/integrations/index.js';
import type { OrderActionName } from '../../src/integrations/types.js';
import { createOrder } from '../../src/orders/create.js';
import { startTestSystem, type TestSystem } from '../support/system.js';

const coreActions = ['cancel', 'dispatch', 'refund'] as const satisfies readonly OrderActionName[];

const bodies: Record<(typeof coreActions)[number], Record<string, unknown>> = {
  cancel: { reason: 'customer called' },
  dispatch: {},
  refund: { amount: 100, reason: 'cold food' },
};

/** Every channel paired with each core action it does not declare. */
const refused = integrations.flatMap((integration) =>
  coreActions
    .filter((action) => !integration.orderActions?.[action])
    .map((action) => ({ channel: integration.source, action })),
);

let system: TestSystem;
let seq = 0;

beforeAll(async () => {
  // The gateway alone: the refusal is the gateway's, and no worker may change the order meanwhile.
  system = await startTestSystem({ worker: false });
});
afterAll(async () => {
  await system?.stop();
});

/** A confirmed, paid order of the channel, with one line. */
async function paidOrder(channel: string) {
  const { order } = await createOrder(system.db, {
    input: {
      actor: 'test',
      channel,
      externalOrderId: `actions-${channel}-${++seq}`,
      status: 'confirmed',
      paymentStatus: 'paid',
      currency: 'TRY',
      items: [{ sku: 'SKU-1', name: 'Peynir', quantity: 1, unitPrice: 1_000 }],
    },
    announce: false,
  });
  return order;
}

/** What an action could have written: the order's row, its timeline and its outbox. */
async function footprint(orderId: string) {
  const order = await system.db
    .selectFrom('orders')
    .select(['status', 'payment_status', 'refunded_total', 'attributes', 'updated_at'])
    .where('id', '=', orderId)
    .executeTakeFirstOrThrow();
  const count = async (table: 'order_events' | 'outbox') =>
    Number(
      (
        await system.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('order_id', '=', orderId)
          .executeTakeFirstOrThrow()
      ).n,
    );
  return { order, timeline: await count('order_events'), outbox: await count('outbox') };
}

describe('an admin action the channel cannot carry to its provider', () => {
  it('is checked on every channel that does not declare one of cancel, dispatch or refund', () => {
    // GoFood (GoBiz has none of the three) and OneBasket at least: the rule must have something to check.
    expect(refused.map((r) => `${r.channel}:${r.action}`)).toEqual(
      expect.arrayContaining(['gofood:cancel', 'gofood:dispatch', 'gofood:refund', 'onebasket:refund']),
    );
  });

  it.each(refused)(
    '$action on a $channel order is 409 rule_action_not_supported and changes nothing',
    async ({ channel, action }) => {
      const order = await paidOrder(channel);
      const before = await footprint(order.id);
      const res = await system.admin(`/admin/orders/${order.id}/${action}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(bodies[action]),
      });
      expect(res.status).toBe(409);
      expect(await res.json()).toMatchObject({ error: { code: 'rule_action_not_supported' } });
      expect(await footprint(order.id)).toEqual(before);
    },
  );
});

describe('the core actions, which change only our order', () => {
  it('are run by the manual channel alone, which has no provider to tell', () => {
    const borrowing = integrations.flatMap((integration) =>
      coreActions
        .filter((action) => {
          const declared = integration.orderActions?.[action];
          return declared !== undefined && declared === coreOrderActions[action];
        })
        .map((action) => `${integration.source}:${action}`),
    );
    expect(borrowing).toEqual(['manual:cancel', 'manual:dispatch', 'manual:refund']);
  });
});

describe('a refund over what is left to refund', () => {
  // Every channel that refunds an amount (the manual channel's core refund and the storefront's) answers
  // the same rule, the one a customer's refund request answers too.
  it.each(['manual', 'storefront'])(
    'is 409 rule_refund_exceeds_payment on a %s order and changes nothing',
    async (channel) => {
      const order = await paidOrder(channel);
      const before = await footprint(order.id);
      const res = await system.admin(`/admin/orders/${order.id}/refund`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ amount: order.total + 1, reason: 'more than was paid' }),
      });
      expect(res.status).toBe(409);
      expect(await res.json()).toMatchObject({
        error: { code: 'rule_refund_exceeds_payment', details: { remaining: order.total } },
      });
      expect(await footprint(order.id)).toEqual(before);
    },
  );
});
