import { randomUUID } from 'node:crypto';
import { withStatus, ysOrder } from '../../test/integrations/yemeksepeti/fixtures.js';
import { type FakeYemeksepeti, ORDER_UPDATE_ROUTE } from '../../test/support/fake-yemeksepeti.js';
import type { Demo } from '../lib.js';

type Json = Record<string, unknown>;

async function push(demo: Demo, body: Json): Promise<number> {
  const res = await fetch(`${demo.base}/api/v2/yemeksepeti/market/order/create`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${demo.env.YEMEKSEPETI_MARKET_TOKEN}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify(body),
  });
  return res.status;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Yemeksepeti Mahalle: creations, a duplicate push, a status before its order, a cancellation from the
 * platform, a push whose processing fails for good, a dispatch sent to the partner API, and an operator
 * cancel the partner API refuses.
 */
export async function yemeksepetiChannel(demo: Demo, api: FakeYemeksepeti): Promise<void> {
  const order = () => ysOrder({ order_id: randomUUID() });
  const [a, b, c, d, e, f] = [order(), order(), order(), order(), order(), order()];
  const id = (o: Json) => String(o.order_id);

  demo.say(`order A created (RECEIVED) → ${await push(demo, a)}`);
  demo.say(
    `order B created → ${await push(demo, b)}; Yemeksepeti sends it again → ${await push(demo, b)} duplicate`,
  );
  demo.say(
    `order C: READY_FOR_PICKUP arrives before its RECEIVED → ${await push(demo, withStatus(c, 'READY_FOR_PICKUP'))}`,
  );
  await sleep(500);
  demo.say(`order C: RECEIVED arrives late → ${await push(demo, c)}; the retried status then applies`);
  demo.say(`order D created → ${await push(demo, d)}`);
  await demo.orderId('yemeksepeti', id(d));
  const cancel = withStatus(d, 'CANCELLED', {
    cancellation: { reason: 'CUSTOMER_CANCELLED', cancelled_by: 'CUSTOMER' },
  });
  demo.say(`order D cancelled by the customer on the platform → ${await push(demo, cancel)}`);
  demo.say(`order E created → ${await push(demo, e)}`);
  // A total no order can have (more kuruş than a safe integer holds): the push is stored, and its
  // processing fails the same way on every attempt, so the event is dead at once and waits for a person.
  const corrupt = { ...f, payment: { ...(f.payment as Json), order_total: '99999999999999999.99' } };
  demo.say(
    `order F arrives with a corrupt total (99999999999999999.99 lira) → ${await push(demo, corrupt)}; its processing fails for good: a dead event`,
  );

  const dispatched = await demo.admin(
    'POST',
    `/admin/orders/${await demo.orderId('yemeksepeti', id(a))}/dispatch`,
  );
  demo.say(`operator dispatches A → ${dispatched.status}; the outbox sends DISPATCHED to the partner API`);
  await demo.settle();

  api.orders.fail({
    status: 400,
    body: { code: 'ORDER_ALREADY_PICKED', message: 'order is already picked up' },
  });
  const refused = await demo.admin(
    'POST',
    `/admin/orders/${await demo.orderId('yemeksepeti', id(e))}/cancel`,
    {
      reason: 'store closing early',
    },
  );
  demo.say(
    `operator cancels E → ${refused.status}; the partner API refuses CANCELLED (400): the message is dead and E is flagged`,
  );
  demo.say(`partner API calls received so far: ${api.provider.requestsTo('PUT', ORDER_UPDATE_ROUTE).length}`);
}
