import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../support/system.js';
import { withStatus, ysOrder } from './fixtures.js';
import { adminPost, deliver, detail, finishedEvent, orderIdFor, startYs, type YsHarness } from './helpers.js';

/**
 * BullMQ delivers at least once: a worker that dies after the handler's commit but before the inbox row is
 * marked runs the same event again. The second run must change nothing (workers are idempotent).
 */
let h: YsHarness;
beforeAll(async () => {
  h = await startYs();
});
afterAll(async () => {
  await h?.stop();
});

/** Puts a processed event back where a crash between commit and marking leaves it, and runs it again. */
async function runAgain(eventId: string) {
  await h.system.db
    .updateTable('inbound_events')
    .set({ status: 'received', processed_at: null })
    .where('id', '=', eventId)
    .execute();
  expect((await adminPost(h.system, `/admin/events/${eventId}/replay`)).status).toBe(202);
  return finishedEvent(h.system, eventId);
}

describe('when a Yemeksepeti event runs a second time after its commit', () => {
  it.each([
    ['RECEIVED (the create)', (_body: Record<string, unknown>) => undefined],
    ['READY_FOR_PICKUP (the create, then marked ready)', 'READY_FOR_PICKUP'],
    ['READY_FOR_PICKUP', (body: Record<string, unknown>) => withStatus(body, 'READY_FOR_PICKUP')],
    ['DISPATCHED', (body: Record<string, unknown>) => withStatus(body, 'DISPATCHED')],
    [
      'CANCELLED',
      (body: Record<string, unknown>) =>
        withStatus(body, 'CANCELLED', { cancellation: { reason: 'CUSTOMER', cancelled_by: 'TR' } }),
    ],
    [
      'ORDER_RECONCILED',
      (body: Record<string, unknown>) =>
        withStatus(body, 'ORDER_RECONCILED', {
          payment: { ...(body.payment as object), order_total: 277.92 },
        }),
    ],
  ])(
    '%s: the order, its timeline and its channel history stay as the first run left them',
    async (_name, next) => {
      // A string: the status the order is created with, and the create is the event run again.
      const body = typeof next === 'string' ? withStatus(ysOrder(), next) : ysOrder();
      const createEvent = await deliver(h.system, body);
      const id = await orderIdFor(h.system, String(body.order_id));
      const followUp = typeof next === 'string' ? undefined : next(body);
      const event = followUp ? await deliver(h.system, followUp) : createEvent;
      expect(event.status).toBe('processed');
      // The outbox (delivery.requested on create) writes its provider_call entry asynchronously: let it land.
      const outbox = await h.system.db.selectFrom('outbox').select('id').where('order_id', '=', id).execute();
      const before = await waitFor(async () => {
        const d = await detail(h.system, id);
        return d.timeline.filter((e) => e.type === 'provider_call').length >= outbox.length ? d : undefined;
      });

      const again = await runAgain(event.id);

      expect(again.status).toBe('processed');
      const after = await detail(h.system, id);
      expect(after.timeline).toEqual(before.timeline);
      expect(after.channelStatusHistory).toEqual(before.channelStatusHistory);
      expect(after.attributes).toEqual(before.attributes);
      expect({ status: after.status, refundedTotal: after.refundedTotal }).toEqual({
        status: before.status,
        refundedTotal: before.refundedTotal,
      });
    },
  );
});
