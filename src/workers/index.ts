import { type Job, type Processor, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { sweepInbox } from '../inbox/sweeper.js';
import type { Integration, MaintenanceProcessor, WorkerContext } from '../integrations/types.js';
import { createInboxProcessor } from './inbox-processor.js';
import { createOutboundProcessor, outboundProcessors } from './outbound-processor.js';
import { type OutboxRelay, startOutboxRelay } from './outbox-relay.js';
import { QUEUE_NAMES } from './queues.js';
import { backoffStrategy } from './retry.js';

export const INBOX_SWEEP_JOB = 'inbox-sweep';

export interface RunningWorkers {
  workers: Worker[];
  relay: OutboxRelay;
  /** Stop taking jobs, let active ones finish, stop the relay. */
  close(): Promise<void>;
}

export interface WorkerOptions {
  /** Creates a connection for one Worker (BullMQ needs `maxRetriesPerRequest: null`). */
  connection: () => Redis;
  concurrency?: number;
  /** Register the repeatable schedules (sweeper, reconciliation); one process is enough, more is harmless. */
  schedules?: boolean;
}

/** The workers' composition root: one BullMQ Worker per queue, each with its processor. */
export async function startWorkers(
  ctx: WorkerContext,
  integrations: readonly Integration[],
  options: WorkerOptions,
): Promise<RunningWorkers> {
  const { config, logger } = ctx;
  const bySource = new Map(integrations.map((i) => [i.source, i]));
  const maintenance = new Map<string, MaintenanceProcessor>([
    [INBOX_SWEEP_JOB, (c) => sweepInbox(c.db, c.queues.inbox, c.logger, config.SWEEP_AFTER_MS)],
  ]);
  for (const integration of integrations) {
    for (const [name, processor] of Object.entries(integration.maintenance ?? {})) {
      if (maintenance.has(name)) throw new Error(`maintenance job ${name} is registered twice`);
      maintenance.set(name, processor);
    }
  }

  const settings = { backoffStrategy: backoffStrategy(config.BACKOFF_BASE_MS) };
  const base = { prefix: config.QUEUE_PREFIX, settings };
  const concurrency = options.concurrency ?? config.WORKER_CONCURRENCY;
  const make = <T>(name: string, processor: Processor<T>, workerConcurrency: number) => {
    const worker = new Worker<T>(name, processor, {
      ...base,
      connection: options.connection(),
      concurrency: workerConcurrency,
      lockDuration: config.WORKER_LOCK_MS,
      stalledInterval: config.WORKER_STALLED_INTERVAL_MS,
    });
    worker.on('error', (err) => logger.warn({ queue: name, err: err.message }, 'worker error'));
    return worker;
  };

  const workers: Worker[] = [
    make(QUEUE_NAMES.inbox, createInboxProcessor(ctx, bySource), concurrency) as Worker,
    make(
      QUEUE_NAMES.outbound,
      createOutboundProcessor(ctx, outboundProcessors(integrations)),
      concurrency,
    ) as Worker,
    make(
      QUEUE_NAMES.maintenance,
      async (job: Job) => {
        const processor = maintenance.get(job.name);
        if (!processor) throw new Error(`no maintenance processor for ${job.name}`);
        return processor(ctx, (job.data ?? {}) as Record<string, unknown>, job);
      },
      2,
    ) as Worker,
  ];

  if (options.schedules !== false) {
    await ctx.queues.maintenance.upsertJobScheduler(
      INBOX_SWEEP_JOB,
      { every: config.SWEEP_INTERVAL_MS },
      { name: INBOX_SWEEP_JOB, data: {} },
    );
    for (const integration of integrations) {
      for (const schedule of integration.schedules ?? []) {
        await ctx.queues.maintenance.upsertJobScheduler(
          schedule.name,
          schedule.pattern ? { pattern: schedule.pattern } : { every: schedule.every ?? 60_000 },
          { name: schedule.name, data: schedule.data ?? {} },
        );
      }
    }
  }

  const relay = startOutboxRelay(ctx.db, ctx.queues, logger, config.OUTBOX_POLL_MS);
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  return {
    workers,
    relay,
    close: async () => {
      await Promise.all(workers.map((w) => w.close()));
      await relay.stop();
    },
  };
}
