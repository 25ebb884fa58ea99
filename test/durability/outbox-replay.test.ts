import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DELIVERY_REQUESTED } from '../../src/integrations/delivery/index.js';
import type { FakeRoute } from '../support/fake-provider.js';
import { type TestSystem, waitFor } from '../support/system.js';
import { type DeliveryHarness, startDeliveryHarness } from './delivery-harness.js';

interface OutboxDto {
  id: number;
  orderId: string | null;
  topic: string;
  status: string;
  lastError: string | null;
  createdAt: string;
  enqueuedAt: string | null;
  finishedAt: string | null;
  payload?: unknown;
}

interface ErrorBody {
  error: { code: string; message: string; requestId: string; details?: unknown };
}

/** For the outbox: a message given up on is visible with its error, and replayable. */
describe('dead outbox messages and their replay', () => {
  let h: DeliveryHarness;
  let system: TestSystem;
  let deliveries: FakeRoute;

  beforeAll(async () => {
    h = await startDeliveryHarness('outbox-replay');
    ({ system, deliveries } = h);
  });
  afterAll(async () => {
    await h?.stop();
  });

  const message = async (id: number): Promise<OutboxDto> => {
    const res = await system.admin(`/admin/outbox/${id}`);
    expect(res.status).toBe(200);
    return (await res.json()) as OutboxDto;
  };
  const settled = (id: number, status: string) =>
    waitFor(async () => {
      const m = await message(id);
      return m.status === status ? m : undefined;
    });
  const replay = (id: number | string) => system.admin(`/admin/outbox/${id}/replay`, { method: 'POST' });
  const attentionOf = async (orderId: string) =>
    (
      await system.db
        .selectFrom('orders')
        .select('attention_reason')
        .where('id', '=', orderId)
        .executeTakeFirstOrThrow()
    ).attention_reason;
  const timelineOf = (orderId: string) =>
    system.db
      .selectFrom('order_events')
      .select(['type', 'actor', 'message', 'metadata'])
      .where('order_id', '=', orderId)
      .where('type', '=', 'provider_call')
      .orderBy('id')
      .execute();
  const jobState = async (id: number) =>
    (await system.process.services.queues.outbound.getJob(`outbox-${id}`))?.getState();
  /** A message the delivery domain refused for good (422: not retried), with the order flagged. */
  const deadMessage = async () => {
    const order = await h.newOrder();
    deliveries.fail({ status: 422, body: { message: 'unknown order' } });
    const id = await h.requestDelivery(order.id);
    const dead = await settled(id, 'dead');
    // The worker settles the row before BullMQ moves the job to the failed set.
    await waitFor(async () => (await jobState(id)) === 'failed');
    return { order, id, dead };
  };

  describe('when the delivery domain refuses a message for good', () => {
    let orderId: string;
    let id: number;

    it('the message is dead with the error, listed, and counted by reconciliation', async () => {
      const made = await deadMessage();
      orderId = made.order.id;
      id = made.id;
      expect(made.dead).toMatchObject({
        id,
        orderId,
        topic: DELIVERY_REQUESTED,
        payload: { orderId },
        enqueuedAt: expect.any(String),
        finishedAt: expect.any(String),
      });
      expect(made.dead.lastError).toContain('422');
      expect(await attentionOf(orderId)).toBe(`${DELIVERY_REQUESTED} failed: ${made.dead.lastError}`);
      expect(await jobState(id)).toBe('failed');

      const listed = (await (await system.admin('/admin/outbox?status=dead')).json()) as {
        data: OutboxDto[];
        total: number;
      };
      expect(listed.data.map((m) => m.id)).toContain(id);
      expect(listed.data.every((m) => m.status === 'dead' && m.payload === undefined)).toBe(true);
      const ofOrder = (await (await system.admin(`/admin/outbox?orderId=${orderId}`)).json()) as {
        data: OutboxDto[];
        total: number;
      };
      expect(ofOrder).toMatchObject({ total: 1, data: [{ id, status: 'dead' }] });

      const run = await system.admin('/admin/reconciliation/runs', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(run.status).toBe(201);
      const report = ((await run.json()) as { report: { deadOutbox: { count: number; sample: string[] } } })
        .report;
      expect(report.deadOutbox.sample).toContain(String(id));
      expect(report.deadOutbox.count).toBeGreaterThanOrEqual(1);
    });

    it('is delivered once more when replayed, clears the attention it raised, and the timeline says who asked', async () => {
      const res = await replay(id);
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ outboxId: id, status: 'pending' });
      const delivered = await settled(id, 'delivered');
      expect(delivered.lastError).toBeNull();
      expect(h.callsFor(orderId)).toHaveLength(2);
      await waitFor(async () => (await jobState(id)) === 'completed');
      expect(await attentionOf(orderId)).toBeNull();
      const timeline = await timelineOf(orderId);
      expect(
        timeline.map((e) => {
          const m = e.metadata as { outcome?: string; attentionCleared?: boolean };
          return [e.actor, m.outcome, m.attentionCleared];
        }),
      ).toEqual([
        ['worker', 'dead', undefined],
        ['admin', 'replay_requested', true],
        ['worker', 'succeeded', undefined],
      ]);
      expect(timeline[1]?.message).toContain('422');
    });

    it('answers 409 in the error envelope when replayed again, and changes nothing', async () => {
      const before = await message(id);
      const res = await replay(id);
      expect(res.status).toBe(409);
      const body = (await res.json()) as ErrorBody;
      expect(body.error).toMatchObject({ code: 'conflict', details: { outboxId: id, status: 'delivered' } });
      expect(body.error.requestId).toBeTruthy();
      expect(await message(id)).toEqual(before);
      expect(h.callsFor(orderId)).toHaveLength(2);
    });
  });

  describe('when a replayed message fails again', () => {
    it('is dead again with the new error, flags the order again, and can be replayed once more', async () => {
      const { order, id } = await deadMessage();
      // Retryable both times: the replay's job has its own budget of OUTBOUND_ATTEMPTS (2).
      deliveries.fail({ status: 503 }, { status: 503 });
      expect((await replay(id)).status).toBe(202);
      const deadAgain = await waitFor(async () => {
        const m = await message(id);
        return m.status === 'dead' && m.lastError?.includes('503') ? m : undefined;
      });
      expect(h.callsFor(order.id)).toHaveLength(3);
      expect(await attentionOf(order.id)).toBe(`${DELIVERY_REQUESTED} failed: ${deadAgain.lastError}`);

      expect((await replay(id)).status).toBe(202);
      await settled(id, 'delivered');
      expect(h.callsFor(order.id)).toHaveLength(4);
      expect(await attentionOf(order.id)).toBeNull();
    });
  });

  describe('when Redis no longer keeps its failed job', () => {
    it('is replayed from the row alone and delivered', async () => {
      const { order, id } = await deadMessage();
      expect(await system.process.services.queues.outbound.remove(`outbox-${id}`)).toBe(1);
      expect((await replay(id)).status).toBe(202);
      await settled(id, 'delivered');
      expect(h.callsFor(order.id)).toHaveLength(2);
      expect(await attentionOf(order.id)).toBeNull();
    });
  });

  describe('when two replays of one message arrive together', () => {
    it('one is taken and the other answers 409; the message is delivered once more', async () => {
      const { order, id } = await deadMessage();
      const answers = (await Promise.all([replay(id), replay(id)])).map((r) => r.status).sort();
      expect(answers).toEqual([202, 409]);
      await settled(id, 'delivered');
      await waitFor(async () => (await jobState(id)) === 'completed');
      expect(h.callsFor(order.id)).toHaveLength(2);
    });
  });

  describe('when the order needs attention for another reason too', () => {
    it('keeps that flag after the replay', async () => {
      const { order, id } = await deadMessage();
      await system.db
        .updateTable('orders')
        .set({ attention_reason: 'customer called about the address' })
        .where('id', '=', order.id)
        .execute();
      expect((await replay(id)).status).toBe(202);
      await settled(id, 'delivered');
      expect(await attentionOf(order.id)).toBe('customer called about the address');
    });
  });

  describe('when its failed job is being retried from the job dashboard right now', () => {
    it('answers 409 and leaves the retry to finish the delivery', async () => {
      const { order, id } = await deadMessage();
      const job = await system.process.services.queues.outbound.getJob(`outbox-${id}`);
      if (!job) throw new Error('no failed job');
      deliveries.fail({ timeoutMs: 1500 });
      await job.retry('failed');
      await waitFor(async () => (await jobState(id)) === 'active');

      const res = await replay(id);
      expect(res.status).toBe(409);
      expect(((await res.json()) as ErrorBody).error.message).toContain('being delivered');
      await settled(id, 'delivered');
      expect(h.callsFor(order.id)).toHaveLength(2);
    });
  });

  describe('when a retry of its job delivered it but the settlement was never written', () => {
    it('answers 409, settles it delivered, and does not send it again', async () => {
      // A dead row without an order, whose job names an order that does not exist: the delivery succeeds, and
      // writing its settlement and timeline entry fails (foreign key), so the row stays dead.
      const ghost = randomUUID();
      const id = await h.ghostMessage(ghost, {
        status: 'dead',
        finished_at: new Date(),
        last_error: 'HTTP 422',
      });
      const job = await system.process.services.queues.outbound.add(
        DELIVERY_REQUESTED,
        { outboxId: id, topic: DELIVERY_REQUESTED, orderId: ghost, payload: { orderId: ghost } },
        { jobId: `outbox-${id}` },
      );
      await waitFor(async () => (await job.getState()) === 'completed');
      expect((await message(id)).status).toBe('dead');

      const res = await replay(id);
      expect(res.status).toBe(409);
      expect(((await res.json()) as ErrorBody).error.details).toEqual({
        outboxId: id,
        status: 'delivered',
      });
      expect((await message(id)).status).toBe('delivered');
      expect(h.callsFor(ghost)).toHaveLength(1);
    });
  });

  describe('when the message is still on its way', () => {
    it('answers 409 naming its status, and the delivery goes on', async () => {
      const order = await h.newOrder();
      deliveries.fail({ timeoutMs: 1500 });
      const id = await h.requestDelivery(order.id);
      await waitFor(async () => (await jobState(id)) === 'active');
      const res = await replay(id);
      expect(res.status).toBe(409);
      expect(((await res.json()) as ErrorBody).error.details).toEqual({ outboxId: id, status: 'enqueued' });
      await settled(id, 'delivered');
      expect(h.callsFor(order.id)).toHaveLength(1);
    });
  });

  describe('when the id names no message or is not an id', () => {
    it.each([
      ['an unknown id', '987654321', 404],
      ['zero', '0', 400],
      ['a negative number', '-1', 400],
      ['an exponent', '1e3', 400],
      ['a uuid', '6f1c0c7e-2b43-4f0e-9d3c-0a1b2c3d4e5f', 400],
      ['beyond the safe integers', '99999999999999999999', 400],
      ['text', 'abc', 400],
    ])('answers %s with %s in the error envelope', async (_name, id, status) => {
      const before = await system.db.selectFrom('outbox').select(['id', 'status']).orderBy('id').execute();
      for (const res of [await replay(id), await system.admin(`/admin/outbox/${id}`)]) {
        expect(res.status).toBe(status);
        const body = (await res.json()) as ErrorBody;
        expect(body.error.code).toBe(status === 404 ? 'not_found' : 'validation_failed');
      }
      expect(await system.db.selectFrom('outbox').select(['id', 'status']).orderBy('id').execute()).toEqual(
        before,
      );
    });
  });

  describe('when the list query is not one the endpoint takes', () => {
    it.each([
      ['an unknown status', 'status=lost'],
      ['an order id that is not a uuid', 'orderId=42'],
      ['an unknown filter', 'channel=manual'],
      ['a limit over the maximum', 'limit=201'],
    ])('answers 400 for %s', async (_name, query) => {
      const res = await system.admin(`/admin/outbox?${query}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as ErrorBody).error.code).toBe('validation_failed');
    });
  });
});
