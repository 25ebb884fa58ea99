import { type Job, type Processor, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ListenHandlers, Subscription } from '../db/listen.js';
import { startInboxEnqueuer } from '../inbox/enqueuer.js';
import { sweepInbox } from '../inbox/sweeper.js';
import type { Integration, MaintenanceProcessor, Schedule, WorkerContext } from '../integrations/types.js';
import { errorMessage } from '../lib/errors.js';
import type { Metrics } from '../lib/metrics.js';
import { type OutboxRelay, startOutboxRelay } from '../outbox/relay.js';
import { sweepOutbox } from '../outbox/sweeper.js';
import { QUEUE_NAMES } from '../queues/index.js';
import { backoffStrategy } from '../queues/retry.js';
import {
  nextWindow,
  RECONCILE_JOB,
  ReconciliationBusyError,
  runReconciliation,
} from '../reconciliation/run.js';
import { pruneExpired, RETENTION_JOB } from '../retention/prune.js';
import { BATCHES_IN_FLIGHT, createInboxProcessor } from './inbox-processor.js';
import { createOutboundProcessor, outboundProcessors, publishers } from './outbound-processor.js';

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
  /** Register the integrations' repeatable schedules (reconciliation); one process is enough, more is harmless. */
  schedules?: boolean;
  /** This process's metrics: each job's duration by queue and outcome. */
  metrics?: Metrics;
  /** LISTEN on the database (DatabaseHandle.listen): how stored inbox rows become jobs. */
  listen(channel: string, handlers: ListenHandlers): Promise<Subscription>;
}

/** The workers' composition root: one BullMQ Worker per queue, each with its processor. */
export async function startWorkers(
  ctx: WorkerContext,
  integrations: readonly Integration[],
  options: WorkerOptions,
): Promise<RunningWorkers> {
  const { config, logger } = ctx;
  const bySource = new Map(integrations.map((i) => [i.source, i]));
  // The sweep runs on a timer (below); the job stays so an operator can trigger one from the dashboard.
  const maintenance = new Map<string, MaintenanceProcessor>([
    [INBOX_SWEEP_JOB, (c) => sweepInbox(c.db, c.queues.inbox, c.logger, config.SWEEP_AFTER_MS)],
    [
      RECONCILE_JOB,
      async (c) => {
        const window = await nextWindow(c.db, config.RECONCILE_WINDOW_MS);
        try {
          const run = await runReconciliation(c, integrations, { trigger: 'schedule', window });
          return { runId: run.id, status: run.status };
        } catch (err) {
          // Runs never overlap: this tick's work is the running one's.
          if (err instanceof ReconciliationBusyError) return { skipped: err.message };
          throw err;
        }
      },
    ],
  ]);
  maintenance.set(RETENTION_JOB, (c) => pruneExpired(c.db, config, c.logger));
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
      lockRenewTime: config.WORKER_LOCK_RENEW_MS,
      stalledInterval: config.WORKER_STALLED_INTERVAL_MS,
      maxStalledCount: config.WORKER_MAX_STALLED_COUNT,
    });
    worker.on('error', (err) => logger.warn({ queue: name, err: err.message }, 'worker error'));
    const { metrics } = options;
    if (metrics) {
      const observe = (job: Job | undefined, outcome: 'completed' | 'failed') => {
        if (job?.processedOn && job.finishedOn) {
          metrics.jobDuration.observe({ queue: name, outcome }, (job.finishedOn - job.processedOn) / 1000);
        }
      };
      worker.on('completed', (job) => observe(job, 'completed'));
      worker.on('failed', (job) => observe(job, 'failed'));
    }
    return worker;
  };

  const relay = startOutboxRelay(
    ctx.db,
    { config, queues: ctx.queues, publishers: publishers(integrations) },
    logger,
    config.OUTBOX_POLL_MS,
  );
  const inboxProcessor = createInboxProcessor(ctx, bySource, {
    // Every job the worker holds fits in a batch in flight: none waits for a slot while holding its lock.
    maxBatch: Math.ceil(concurrency / BATCHES_IN_FLIGHT),
    afterBatch: () => relay.nudge(),
  });
  const fetchers = Math.max(1, Math.min(config.INBOX_FETCHERS, concurrency));
  const workers: Worker[] = [
    // Several fetch loops feeding one processor: its batches take jobs from all of them.
    ...Array.from(
      { length: fetchers },
      () =>
        make(QUEUE_NAMES.inbox, inboxProcessor, Math.max(1, Math.floor(concurrency / fetchers))) as Worker,
    ),
    make(
      QUEUE_NAMES.outbound,
      createOutboundProcessor(ctx, outboundProcessors(integrations)),
      // Provider calls, one HTTP request each: half the inbox's share, so a rush of orders does not
      // become a burst of calls a provider answers with 429.
      Math.max(1, Math.ceil(concurrency / 2)),
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

  const schedules: Schedule[] = [
    { name: RECONCILE_JOB, pattern: config.RECONCILE_CRON },
    { name: RETENTION_JOB, pattern: config.RETENTION_CRON },
    ...integrations.flatMap((integration) => integration.schedules ?? []),
  ];
  const upsertSchedule = (schedule: Schedule) =>
    ctx.queues.maintenance.upsertJobScheduler(
      schedule.name,
      schedule.pattern ? { pattern: schedule.pattern } : { every: schedule.every ?? 60_000 },
      { name: schedule.name, data: schedule.data ?? {} },
    );
  if (options.schedules !== false) {
    try {
      for (const schedule of schedules) await upsertSchedule(schedule);
    } catch (err) {
      // Nothing started here may outlive a start that failed.
      await Promise.all(workers.map((w) => w.close()));
      await relay.stop();
      throw err;
    }
  }

  // The sweeper is how work lost from Redis comes back, so it must not itself live in Redis: a BullMQ job
  // scheduler vanishes with the rest of the data. Every worker process sweeps on its own timer; sweeps in
  // several processes at once are harmless (the job id is the inbox id). The same tick re-creates integration
  // schedules Redis lost.
  const sweeper = startPeriodic(config.SWEEP_INTERVAL_MS, async () => {
    try {
      await sweepInbox(ctx.db, ctx.queues.inbox, logger, config.SWEEP_AFTER_MS);
      await sweepOutbox(ctx.db, ctx.queues, logger, config.SWEEP_AFTER_MS);
      if (options.schedules !== false) {
        for (const schedule of schedules) {
          if (!(await ctx.queues.maintenance.getJobScheduler(schedule.name))) {
            logger.warn({ schedule: schedule.name }, 'schedule missing from Redis; re-creating it');
            await upsertSchedule(schedule);
          }
        }
      }
    } catch (err) {
      logger.warn({ err: errorMessage(err) }, 'inbox sweep failed; will retry');
    }
  });
  const enqueuer = await startInboxEnqueuer({
    db: ctx.db,
    listen: options.listen,
    inbox: ctx.queues.inbox,
    logger,
  });
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  return {
    workers,
    relay,
    close: async () => {
      await enqueuer.close();
      await sweeper.stop();
      await Promise.all(workers.map((w) => w.close()));
      await relay.stop();
    },
  };
}

/** Runs `task` every `intervalMs` (±20% jitter so processes do not sweep in lockstep), never overlapping. */
function startPeriodic(intervalMs: number, task: () => Promise<void>): { stop(): Promise<void> } {
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(
      () => {
        running = task().finally(schedule);
      },
      Math.round(intervalMs * (0.8 + Math.random() * 0.4)),
    );
  };
  schedule();
  return {
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
