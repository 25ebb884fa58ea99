import {
  type FakeGoBiz,
  type GofoodEventName,
  gofoodNotification,
  sendGofood,
} from '../../test/support/fake-gobiz.js';
import type { Demo } from '../lib.js';

export const GOFOOD_AUTO_OUTLET = 'G-DEMO-AUTO';
export const GOFOOD_MANUAL_OUTLET = 'G-DEMO-MANUAL';

async function notify(
  demo: Demo,
  event: GofoodEventName,
  orderNumber: string,
  outletId: string,
  eventId?: string,
): Promise<number> {
  const res = await sendGofood(demo.base, gofoodNotification(event, { orderNumber, outletId }, eventId));
  return res.status;
}

/**
 * GoFood (GoBiz): an order whose events arrive shuffled and twice, a payment, a cancellation, and manual-mode
 * orders the merchant accepts and rejects (each decision called on GoBiz).
 */
export async function gofoodChannel(demo: Demo, gobiz: FakeGoBiz): Promise<void> {
  const number = (n: number) => `F-${demo.run}-${n}`;
  const one = number(1);
  demo.say(`${one}: completed arrives first → ${await notify(demo, 'completed', one, GOFOOD_AUTO_OUTLET)}`);
  const acceptedId = `${one}-accepted`;
  demo.say(
    `${one}: merchant_accepted → ${await notify(demo, 'merchant_accepted', one, GOFOOD_AUTO_OUTLET, acceptedId)}`,
  );
  demo.say(
    `${one}: GoBiz delivers it twice → ${await notify(demo, 'merchant_accepted', one, GOFOOD_AUTO_OUTLET, acceptedId)} duplicate`,
  );
  demo.say(
    `${one}: driver_otw_pickup, late → ${await notify(demo, 'driver_otw_pickup', one, GOFOOD_AUTO_OUTLET)} (recorded, not applied)`,
  );
  demo.say(`${one}: placed (payment settled) → ${await notify(demo, 'placed', one, GOFOOD_AUTO_OUTLET)}`);

  const two = number(2);
  demo.say(`${two}: merchant_accepted → ${await notify(demo, 'merchant_accepted', two, GOFOOD_AUTO_OUTLET)}`);
  demo.say(`${two}: cancelled by GoFood → ${await notify(demo, 'cancelled', two, GOFOOD_AUTO_OUTLET)}`);

  const three = number(3);
  const four = number(4);
  demo.say(
    `${three}, ${four}: awaiting_merchant_acceptance on the manual outlet → ${await notify(demo, 'awaiting_merchant_acceptance', three, GOFOOD_MANUAL_OUTLET)}, ${await notify(demo, 'awaiting_merchant_acceptance', four, GOFOOD_MANUAL_OUTLET)}`,
  );
  const accepted = await demo.admin('POST', `/admin/orders/${await demo.orderId('gofood', three)}/accept`);
  demo.say(`merchant accepts ${three} → ${accepted.status}; GoBiz is told`);
  const rejected = await demo.admin('POST', `/admin/orders/${await demo.orderId('gofood', four)}/reject`, {
    reasonCode: 'ITEMS_OUT_OF_STOCK',
    description: 'no more Ayam Geprek today',
  });
  demo.say(`merchant rejects ${four} → ${rejected.status}; GoBiz is told`);
  await demo.settle();
  const calls = gobiz.accepted.calls.length + gobiz.cancelled.calls.length;
  demo.say(`GoBiz decision calls received: ${calls}`);
}
