import type { Queue } from 'bullmq';
import type { Db } from '../db/index.js';
import type { ListenHandlers, Subscription } from '../db/listen.js';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { type InboxJob, withTimeout } from '../queues/index.js';
import { INBOX_CHANNEL } from './ingest.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CATCH_UP_PAGE = 500;
const RETRY_MS = 1000;

export interface InboxEnqueuerDeps {
  db: Db;
  listen(channel: string, handlers: ListenHandlers): Promise<Subscription>;
  inbox: Pick<Queue<InboxJob>, 'addBulk'>;
  logger: Logger;
  enqueueTimeoutMs?: number;
}

export interface InboxEnqueuer {
  /** Resolves once listening has started and the first catch-up has run. */
  ready: Promise<void>;
  close(): Promise<void>;
}

/**
 * Turns stored inbox rows into BullMQ jobs, in the worker, so the gateway's answer never waits for Redis.
 *
 * - The gateway announces each new row's id (NOTIFY on INBOX_CHANNEL, delivered when its insert commits); ids
 *   announced in the same turn are added in one `addBulk`, each job under the row's id.
 * - Whenever listening (re)starts, every row still `received` is added again: rows announced while no worker
 *   was listening are enqueued at once, not at the sweeper's next pass.
 * - Adding a job id that exists is a no-op in BullMQ, so several worker processes may all do this, and a
 *   row announced and caught up both gets one job.
 * - A failed add (Redis down) is retried by another catch-up a second later, and the sweeper remains the net.
 */
export async function startInboxEnqueuer(deps: InboxEnqueuerDeps): Promise<InboxEnqueuer> {
  let closed = false;
  let pending = new Set<string>();
  let flushing: Promise<void> | undefined;
  let catchUpRunning: Promise<void> | undefined;
  let catchUpAgain = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let readyResolve: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    readyResolve = resolve;
  });

  const add = async (ids: string[]): Promise<boolean> => {
    try {
      await withTimeout(
        deps.inbox.addBulk(
          ids.map((eventId) => ({ name: 'inbound', data: { eventId }, opts: { jobId: eventId } })),
        ),
        deps.enqueueTimeoutMs ?? 5000,
        'enqueue',
      );
      return true;
    } catch (err) {
      deps.logger.warn({ events: ids.length, err: errorMessage(err) }, 'inbox events not enqueued; retrying');
      scheduleRetry();
      return false;
    }
  };

  const scheduleRetry = () => {
    if (closed || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void catchUp();
    }, RETRY_MS);
  };

  const flush = async () => {
    while (pending.size > 0 && !closed) {
      const ids = [...pending];
      pending = new Set();
      await add(ids);
    }
    flushing = undefined;
  };

  /** Every row still `received`, oldest first, in pages; runs again if asked while running. */
  const catchUp = (): Promise<void> => {
    if (catchUpRunning) {
      catchUpAgain = true;
      return catchUpRunning;
    }
    catchUpRunning = (async () => {
      do {
        catchUpAgain = false;
        let after: { receivedAt: Date; id: string } | undefined;
        while (!closed) {
          const cursor = after;
          let rows: { id: string; received_at: Date }[];
          try {
            rows = await deps.db
              .selectFrom('inbound_events')
              .select(['id', 'received_at'])
              .where('status', '=', 'received')
              .$if(cursor !== undefined, (q) =>
                q.where((eb) =>
                  eb.or([
                    eb('received_at', '>', cursor?.receivedAt ?? new Date(0)),
                    eb.and([
                      eb('received_at', '=', cursor?.receivedAt ?? new Date(0)),
                      eb('id', '>', cursor?.id ?? ''),
                    ]),
                  ]),
                ),
              )
              .orderBy('received_at')
              .orderBy('id')
              .limit(CATCH_UP_PAGE)
              .execute();
          } catch (err) {
            deps.logger.warn({ err: errorMessage(err) }, 'inbox catch-up could not read the inbox; retrying');
            scheduleRetry();
            break;
          }
          if (rows.length > 0 && !(await add(rows.map((r) => r.id)))) break;
          const last = rows.at(-1);
          if (!last || rows.length < CATCH_UP_PAGE) break;
          after = { receivedAt: last.received_at, id: last.id };
        }
      } while (catchUpAgain && !closed);
      catchUpRunning = undefined;
    })();
    return catchUpRunning;
  };

  const subscription = await deps.listen(INBOX_CHANNEL, {
    onNotify(payload) {
      if (closed || !UUID.test(payload)) return;
      pending.add(payload);
      // Notifications of one commit arrive together: gather them for a turn, then add them in one call.
      flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(flush);
    },
    onListening() {
      void catchUp().then(readyResolve);
    },
  });

  return {
    ready,
    close: async () => {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      await subscription.close();
      await Promise.all([flushing, catchUpRunning]);
    },
  };
}
