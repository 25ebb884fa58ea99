import type { Db } from '../../src/db/index.js';
import type { Order } from '../../src/db/schema.js';
import { createOrder } from '../../src/orders/create.js';

/**
 * A confirmed manual order with one line, not announced to subscribers: the order an admin action, a role
 * check or a cross-site request is tried against.
 */
export async function confirmedOrder(db: Db, ext: string): Promise<Order> {
  const { order } = await createOrder(db, {
    input: {
      actor: 'test',
      channel: 'manual',
      externalOrderId: ext,
      status: 'confirmed',
      currency: 'TRY',
      customer: { externalId: `C-${ext}`, name: 'Deniz' },
      items: [{ sku: 'SKU-1', name: 'Peynir', quantity: 1, unitPrice: 1_000 }],
    },
    announce: false,
  });
  return order;
}
