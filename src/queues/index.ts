import { type JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Config } from '../config.js';
import { AppError } from '../lib/errors.js';
import { BACKOFF_TYPE } from './retry.js';

export const QUEUE_NAMES = {
  /** One job per inbox row; job id = inbox id. */
  inbox: 'inbox',
  /** Calls to provider APIs and other side effects, from the outbox. */
  outbound: 'outbound',
  /** Sweeper, reconciliation, deadlines: scheduled and delayed work. */
  maintenance: 'maintenance',
  /** New orders handed to downstream subscribers (SUBSCRIBER_EVENTS), one job per order. */
  subscriberEvents: 'subscriber-events',
} as const;

export const inboxJobSchema = z.object({ eventId: z.uuid() });
export type InboxJob = z.infer<typeof inboxJobSchema>;

export const outboundJobSchema = z.object({
  outboxId: z.number().int().positive(),
  topic: z.string().min(1),
  orderId: z.uuid().nullable(),
  payload: z.record(z.string(), z.unknown()),
});
export type OutboundJob = z.infer<typeof outboundJobSchema>;

export const maintenanceJobSchema = z.record(z.string(), z.unknown());
export type MaintenanceJob = z.infer<typeof maintenanceJobSchema>;

export const subscriberEventSchema = z.object({
  type: z.string(),
  orderId: z.uuid(),
  orderNumber: z.string(),
  channel: z.string(),
  externalOrderId: z.string(),
  status: z.string(),
});
export type SubscriberEvent = z.infer<typeof subscriberEventSchema>;

// Completed jobs are kept briefly for the dashboard; failed (dead) ones for a week so they can be read and
// replayed. Redis memory is bounded by these, not by traffic.
const retention = {
  removeOnComplete: { age: 3600, count: 5000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 50_000 },
} satisfies JobsOptions;

export interface Queues {
  inbox: Queue<InboxJob>;
  outbound: Queue<OutboundJob>;
  maintenance: Queue<MaintenanceJob>;
  subscriberEvents: Queue<SubscriberEvent>;
  all(): Queue[];
  close(): Promise<void>;
}

export function createQueues(connection: Redis, config: Config): Queues {
  const base = { connection, prefix: config.QUEUE_PREFIX };
  const backoff = { type: BACKOFF_TYPE };
  const inbox = new Queue<InboxJob>(QUEUE_NAMES.inbox, {
    ...base,
    defaultJobOptions: { ...retention, attempts: config.INBOX_ATTEMPTS, backoff },
  });
  const outbound = new Queue<OutboundJob>(QUEUE_NAMES.outbound, {
    ...base,
    defaultJobOptions: { ...retention, attempts: config.OUTBOUND_ATTEMPTS, backoff },
  });
  const maintenance = new Queue<MaintenanceJob>(QUEUE_NAMES.maintenance, {
    ...base,
    defaultJobOptions: { ...retention, attempts: 3, backoff },
  });
  const subscriberEvents = new Queue<SubscriberEvent>(QUEUE_NAMES.subscriberEvents, {
    ...base,
    defaultJobOptions: {
      removeOnComplete: { age: 24 * 3600, count: 10_000 },
      removeOnFail: retention.removeOnFail,
    },
  });
  const queues = [inbox, outbound, maintenance, subscriberEvents] as Queue[];
  return {
    inbox,
    outbound,
    maintenance,
    subscriberEvents,
    all: () => queues,
    close: async () => {
      await Promise.all(queues.map((q) => q.close()));
    },
  };
}

/** Resolves within `ms` or rejects: a producer must not hang a request on an unreachable Redis. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** How long an operator's request waits for one Redis step before it answers 503. */
export const QUEUE_STEP_TIMEOUT_MS = 2000;

/**
 * One Redis step of an operator's request (a replay): bounded by QUEUE_STEP_TIMEOUT_MS, and a Redis that refuses
 * or hangs answers 503 `unavailable` in the envelope instead of a 500 (or, on PGlite, instead of holding the one
 * connection while the step waits).
 */
export async function queueStep<T>(promise: Promise<T>, what: string): Promise<T> {
  try {
    return await withTimeout(promise, QUEUE_STEP_TIMEOUT_MS, what);
  } catch (err) {
    throw new AppError(
      'unavailable',
      `the job queue did not answer (${what}); nothing was changed, retry later`,
      {
        cause: err,
        retryAfterMs: 5000,
      },
    );
  }
}

/** A job's state for a replay, or undefined when Redis no longer has the job (bounded by `queueStep`). */
export function replayedJobState(queue: Pick<Queue, 'getJob'>, jobId: string): Promise<string | undefined> {
  return queueStep(
    queue.getJob(jobId).then((job) => job?.getState()),
    'reading the job',
  );
}

/**
 * Removes a replayed job that no worker holds, so its id can be reused; false when a worker took it since
 * (`remove` answers 0 for a locked job, which is then still there).
 */
export async function removeIdleJob(
  queue: Pick<Queue, 'getJob' | 'remove'>,
  jobId: string,
): Promise<boolean> {
  if ((await queueStep(queue.remove(jobId), 'removing the old job')) > 0) return true;
  return !(await queueStep(queue.getJob(jobId), 'reading the job again'));
}
