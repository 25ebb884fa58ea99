import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadlineJobId } from '../../../src/integrations/gofood/deadline.js';
import { gofoodNotification, sendGofood } from '../../support/fake-gobiz.js';
import { type TestSystem, waitFor } from '../../support/system.js';
import { type GofoodHarness, gofoodOrder, orderNumber, startGofood, timeline } from './helpers.js';

/**
 * The real windows (1 min auto-accept on timeout, 3 min manual): a window that ran from our receipt could
 * not close within a test, so an order decided here was decided from GoFood's timestamp.
 */
let system: TestSystem;
let harness: GofoodHarness | undefined;

beforeAll(async () => {
  harness = await startGofood(
    { GOFOOD_AUTO_ACCEPT_TIMEOUT_MS: '60000', GOFOOD_MANUAL_ACCEPT_TIMEOUT_MS: '180000' },
    {
      'OUT-W-TIMEOUT': { acceptanceMode: 'auto_accept_on_timeout', warehouse: 'KITCHEN-W' },
      'OUT-W-MANUAL': { acceptanceMode: 'manual', warehouse: 'KITCHEN-W' },
    },
  );
  system = harness.system;
});

afterAll(async () => {
  await harness?.stop();
});

/**
 * Sends `awaiting_merchant_acceptance` with the given header timestamp (null: none) and waits until the
 * worker has finished it; returns the order and when we received the notification.
 */
async function awaiting(outletId: string, timestamp: string | null) {
  const number = orderNumber('W');
  const notification = gofoodNotification('awaiting_merchant_acceptance', { orderNumber: number, outletId });
  const header = notification.header as Record<string, unknown>;
  if (timestamp === null) delete header.timestamp;
  else header.timestamp = timestamp;
  const res = await sendGofood(system.baseUrl, notification);
  expect(res.status).toBe(202);
  const { eventId } = (await res.json()) as { eventId: string };
  const event = await waitFor(async () => {
    const row = await system.db
      .selectFrom('inbound_events')
      .select(['status', 'received_at'])
      .where('id', '=', eventId)
      .executeTakeFirst();
    return row && ['processed', 'attention', 'dead'].includes(row.status) ? row : undefined;
  });
  expect(event.status).toBe('processed');
  return { order: await gofoodOrder(system, number), receivedAt: event.received_at };
}

async function deadlineJob(orderId: string) {
  const job = await system.process.services.queues.maintenance.getJob(deadlineJobId(orderId));
  if (!job) throw new Error(`no deadline job for ${orderId}`);
  return job.data as { windowStartedAt: string; deadlineAt: string; timeoutMs: number };
}

describe('the acceptance windows start with GoFood’s state', () => {
  describe('when the awaiting state began more than the 1-minute window ago (auto-accept on timeout)', () => {
    it('is auto-accepted at once: the window ran from the header timestamp, not from our receipt', async () => {
      const began = new Date(Date.now() - 120_000).toISOString();
      const { order } = await awaiting('OUT-W-TIMEOUT', began);
      const accepted = await waitFor(async () => {
        const current = await gofoodOrder(system, order.external_order_id);
        return current.status === 'confirmed' ? current : undefined;
      });
      expect(accepted.channel_status).toBe('awaiting_merchant_acceptance');
      const messages = (await timeline(system, order.id)).map((e) => e.message);
      expect(messages).toContainEqual(expect.stringMatching(/^auto-accepted at deadline/));
      expect(await deadlineJob(order.id)).toMatchObject({
        windowStartedAt: began,
        deadlineAt: new Date(Date.parse(began) + 60_000).toISOString(),
      });
    });
  });

  describe('when the awaiting state began a minute before we received it (manual)', () => {
    it('the 3-minute window ends 3 minutes after the header timestamp', async () => {
      const began = new Date(Date.now() - 60_000).toISOString();
      const { order } = await awaiting('OUT-W-MANUAL', began);
      expect(await deadlineJob(order.id)).toMatchObject({
        windowStartedAt: began,
        deadlineAt: new Date(Date.parse(began) + 180_000).toISOString(),
        timeoutMs: 180_000,
      });
      expect((await gofoodOrder(system, order.external_order_id)).status).toBe('pending');
    });
  });

  describe('when the header timestamp is later than our receipt (GoFood’s clock runs ahead)', () => {
    it('the window starts when we received the notification, never later', async () => {
      const { order, receivedAt } = await awaiting(
        'OUT-W-TIMEOUT',
        new Date(Date.now() + 3_600_000).toISOString(),
      );
      expect(await deadlineJob(order.id)).toMatchObject({
        windowStartedAt: receivedAt.toISOString(),
        deadlineAt: new Date(receivedAt.getTime() + 60_000).toISOString(),
      });
    });
  });

  describe('when the header has no timestamp, or one we cannot read', () => {
    it.each([null, 'yesterday at noon'])('the window starts when we received it (%s)', async (timestamp) => {
      const { order, receivedAt } = await awaiting('OUT-W-MANUAL', timestamp);
      expect(await deadlineJob(order.id)).toMatchObject({ windowStartedAt: receivedAt.toISOString() });
    });
  });
});
