import type { Demo } from '../lib.js';

async function post(demo: Demo, key: string, body: unknown) {
  const res = await fetch(`${demo.base}/api/orders`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${demo.token}`,
      'content-type': 'application/json',
      'idempotency-key': key,
    },
    body: JSON.stringify(body),
  });
  return res.status;
}

/** The storefront: a paid order reserved in stock, its retry, a reused key, a shortage, a cancel and a refund. */
export async function manualChannel(demo: Demo): Promise<void> {
  const id = (n: number) => `web-${demo.run}-${n}`;
  const paid = {
    externalOrderId: id(1),
    currency: 'TRY',
    customer: { externalId: 'shop-cust-77', name: 'Ayşe Yılmaz', phone: '+905551112233' },
    items: [{ sku: 'SU-19L', name: 'Damacana Su 19 L', quantity: 2, unitPrice: 4550 }],
    shippingTotal: 1990,
    warehouse: 'IST-KADIKOY',
    paid: true,
  };
  demo.say(
    `paid order ${id(1)}, 2 × SU-19L reserved in IST-KADIKOY → ${await post(demo, `${id(1)}-key`, paid)}`,
  );
  demo.say(
    `the storefront retries it (same key, same body) → ${await post(demo, `${id(1)}-key`, paid)} duplicate`,
  );
  const changed = { ...paid, items: [{ ...paid.items[0], quantity: 3 }] };
  demo.say(
    `the same key with another body → ${await post(demo, `${id(1)}-key`, changed)} idempotency_conflict`,
  );

  const pending = {
    externalOrderId: id(2),
    currency: 'TRY',
    items: [{ sku: 'CAY-1KG', name: 'Çay 1 kg', quantity: 1, unitPrice: 12550 }],
  };
  demo.say(`unpaid order ${id(2)} → ${await post(demo, `${id(2)}-key`, pending)}`);

  const short = {
    ...paid,
    externalOrderId: id(3),
    items: [{ sku: 'SU-19L', name: 'Damacana Su 19 L', quantity: 5000, unitPrice: 4550 }],
  };
  demo.say(
    `order ${id(3)} for 5,000 × SU-19L (short of stock) → ${await post(demo, `${id(3)}-key`, short)}; the worker puts it in attention`,
  );

  const cancelled = await demo.admin('POST', `/admin/orders/${await demo.orderId('manual', id(2))}/cancel`, {
    reason: 'customer changed their mind',
  });
  demo.say(`operator cancels ${id(2)} → ${cancelled.status}`);
  const refunded = await demo.admin('POST', `/admin/orders/${await demo.orderId('manual', id(1))}/refund`, {
    amount: 4550,
    reason: 'one bottle arrived broken',
  });
  demo.say(`operator refunds 45.50 TRY of ${id(1)} → ${refunded.status}`);
}
