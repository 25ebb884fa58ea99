import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { integrations } from '../../src/integrations/index.js';
import type { Integration } from '../../src/integrations/types.js';
import type { InboxJob } from '../../src/queues/index.js';
import { createInboxProcessor } from '../../src/workers/inbox-processor.js';
import { withStatus, ysOrder } from '../integrations/yemeksepeti/fixtures.js';
import { sendYs, startYs, type YsHarness } from '../integrations/yemeksepeti/helpers.js';

// The gateway only: the events wait in the inbox; the test adds their jobs to Redis as the workers' enqueuer
// would and runs the worker's processor on the real jobs, all in the same tick, so they form one batch.
let h: YsHarness;
beforeAll(async () => {
  h = await startYs({}, { worker: false });
});
afterAll(async () => {
  await h?.stop();
});

async function pushed(body: Record<string, unknown>): Promise<string> {
  const res = await sendYs(h.system, body);
  expect(res.status).toBe(202);
  return ((await res.json()) as { eventId: string }).eventId;
}

async function jobOf(eventId: string): Promise<Job<InboxJob>> {
  const { inbox } = h.system.process.services.ctx.queues;
  await inbox.add('inbound', { eventId }, { jobId: eventId });
  const job = await inbox.getJob(eventId);
  if (!job) throw new Error(`no job for ${eventId}`);
  return job;
}

const rowOf = (id: string) =>
  h.system.db
    .selectFrom('inbound_events')
    .select(['status', 'outcome', 'last_error', 'attempts', 'processed_at'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();

describe('when the jobs of one batch end differently', () => {
  const ids: Record<string, string> = {};
  let settled: PromiseSettledResult<string>[];

  beforeAll(async () => {
    const ctx = h.system.process.services.ctx;
    ids.createA = await pushed(ysOrder());
    ids.createB = await pushed(ysOrder());
    // Stored as the gateway would store a body it could not vet (e.g. by the recovery job).
    const invalid = await ctx.ingest({
      source: 'yemeksepeti',
      eventType: 'order.create',
      payload: { ...ysOrder(), items: 'not a list' },
      dedupKey: 'invalid-1',
    });
    ids.invalid = invalid.eventId;
    ids.statusBeforeCreate = await pushed(withStatus(ysOrder(), 'DISPATCHED'));
    const orphan = await ctx.ingest({
      source: 'nobody',
      eventType: 'x',
      payload: { a: 1 },
      dedupKey: 'orphan-1',
    });
    ids.orphan = orphan.eventId;
    ids.done = await pushed(ysOrder());
    await h.system.db
      .updateTable('inbound_events')
      .set({ status: 'processed' })
      .where('id', '=', ids.done)
      .execute();

    const processor = createInboxProcessor(ctx, new Map(integrations.map((i) => [i.source, i])));
    const jobs = await Promise.all(Object.values(ids).map(jobOf));
    settled = await Promise.allSettled(jobs.map((job) => processor(job)));
  });

  const outcome = (key: string) => settled[Object.keys(ids).indexOf(key)];

  it('creates both orders and marks their events processed', async () => {
    for (const key of ['createA', 'createB']) {
      expect(outcome(key)).toMatchObject({
        status: 'fulfilled',
        value: expect.stringMatching(/^created ORD-/),
      });
      expect(await rowOf(ids[key] ?? '')).toMatchObject({
        status: 'processed',
        attempts: 1,
        last_error: null,
      });
    }
  });

  it('records an invalid body as attention without failing the job', async () => {
    expect(outcome('invalid')).toMatchObject({ status: 'fulfilled' });
    const row = await rowOf(ids.invalid ?? '');
    expect(row).toMatchObject({ status: 'attention', attempts: 1 });
    expect(row.outcome).toContain('invalid Yemeksepeti order body');
    expect(row.processed_at).not.toBeNull();
  });

  it('fails a status for an order not created yet, to be retried, leaving the others alone', async () => {
    const result = outcome('statusBeforeCreate');
    expect(result?.status).toBe('rejected');
    const row = await rowOf(ids.statusBeforeCreate ?? '');
    expect(row).toMatchObject({ status: 'failed', attempts: 1, processed_at: null });
    expect(row.last_error).toContain('does not exist yet');
  });

  it('kills an event no integration handles, saying why', async () => {
    const result = outcome('orphan');
    expect(result?.status).toBe('rejected');
    expect(await rowOf(ids.orphan ?? '')).toMatchObject({
      status: 'dead',
      last_error: 'no integration handles source nobody',
    });
  });

  it('skips an event that is already finished', () => {
    expect(outcome('done')).toMatchObject({ status: 'fulfilled', value: 'already processed' });
  });
});

describe('when Postgres refuses one outcome of the batch', () => {
  it('records the others and fails only that job', async () => {
    const ctx = h.system.process.services.ctx;
    // A plugin integration whose outcome text Postgres cannot store (NUL) for one event of the batch.
    const picky: Integration = {
      source: 'picky',
      handleEvent: async (_ctx, event) => ({
        status: 'processed',
        outcome: (event.payload as { n: number }).n === 2 ? 'bad\u0000outcome' : 'fine',
      }),
    };
    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      ids.push(
        (await ctx.ingest({ source: 'picky', eventType: 'x', payload: { n }, dedupKey: `picky-${n}` }))
          .eventId,
      );
    }
    const processor = createInboxProcessor(ctx, new Map([[picky.source, picky]]));
    const jobs = await Promise.all(ids.map(jobOf));
    const settled = await Promise.allSettled(jobs.map((job) => processor(job)));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await rowOf(ids[0] ?? '')).toMatchObject({ status: 'processed', outcome: 'fine' });
    expect(await rowOf(ids[1] ?? '')).toMatchObject({ status: 'received', processed_at: null });
    expect(await rowOf(ids[2] ?? '')).toMatchObject({ status: 'processed', outcome: 'fine' });
  });
});

describe('when an event names an outbound-only integration', () => {
  it('is dead at once, saying that integration receives no inbound events', async () => {
    const ctx = h.system.process.services.ctx;
    const { eventId } = await ctx.ingest({
      source: 'delivery',
      eventType: 'x',
      payload: {},
      dedupKey: 'to-delivery',
    });
    const processor = createInboxProcessor(ctx, new Map(integrations.map((i) => [i.source, i])));
    await expect(processor(await jobOf(eventId))).rejects.toThrow('receives no inbound events');
    expect(await rowOf(eventId)).toMatchObject({
      status: 'dead',
      last_error: 'the delivery integration receives no inbound events',
      attempts: 1,
    });
  });
});
