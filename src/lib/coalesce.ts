/**
 * Group commit for any operation that is cheaper in bulk: concurrent `submit` calls are coalesced into one
 * `run(items)` call. There is no fixed linger: the first call schedules a batch for the end of the current
 * event-loop turn, and while `maxInFlight` batches are running new calls wait and ride the next one, so
 * batches grow with load by themselves and a lone call is not delayed.
 *
 * `run` returns one result per item, in order. When `run` throws, every caller of that batch gets the
 * error; a caller that needs per-item failures returns them as values (see `Settled`).
 */
export interface CoalescerOptions {
  /** Most items in one batch. */
  maxBatch?: number;
  /** Most batches running at once. */
  maxInFlight?: number;
  /** Extra wait before a batch that is not full yet, to grow batches at moderate load; 0 = end of the turn. */
  lingerMs?: number;
}

export interface Coalescer<I, O> {
  submit(item: I): Promise<O>;
  /** Resolves when every submitted item has settled. */
  drain(): Promise<void>;
}

interface Waiting<I, O> {
  item: I;
  resolve(value: O): void;
  reject(err: unknown): void;
}

export function createCoalescer<I, O>(
  run: (items: readonly I[]) => Promise<readonly O[]>,
  options: CoalescerOptions = {},
): Coalescer<I, O> {
  const maxBatch = Math.max(1, options.maxBatch ?? 64);
  const maxInFlight = Math.max(1, options.maxInFlight ?? 1);
  const lingerMs = options.lingerMs ?? 0;
  let queue: Waiting<I, O>[] = [];
  let scheduled = false;
  let inFlight = 0;
  const idle: (() => void)[] = [];

  const schedule = () => {
    if (scheduled || queue.length === 0 || inFlight >= maxInFlight) return;
    scheduled = true;
    if (lingerMs > 0 && queue.length < maxBatch) setTimeout(flush, lingerMs);
    else setImmediate(flush);
  };

  const flush = () => {
    scheduled = false;
    if (queue.length === 0 || inFlight >= maxInFlight) return;
    const batch = queue.slice(0, maxBatch);
    queue = queue.slice(batch.length);
    inFlight++;
    void settleBatch(batch).finally(() => {
      inFlight--;
      schedule();
      if (inFlight === 0 && queue.length === 0) for (const done of idle.splice(0)) done();
    });
    schedule();
  };

  const settleBatch = async (batch: Waiting<I, O>[]) => {
    try {
      const results = await run(batch.map((w) => w.item));
      if (results.length !== batch.length) {
        throw new Error(`coalesced batch returned ${results.length} results for ${batch.length} items`);
      }
      batch.forEach((w, i) => {
        w.resolve(results[i] as O);
      });
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
  };

  return {
    submit: (item) =>
      new Promise<O>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        schedule();
      }),
    drain: () =>
      inFlight === 0 && queue.length === 0 ? Promise.resolve() : new Promise<void>((r) => idle.push(r)),
  };
}

/** A per-item outcome for batches whose items fail independently. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** The outcome of a promise, or of a call, as a value; a call that throws synchronously is caught too. */
export async function settle<T>(work: Promise<T> | (() => Promise<T>)): Promise<Settled<T>> {
  try {
    return { ok: true, value: await (typeof work === 'function' ? work() : work) };
  } catch (error) {
    return { ok: false, error };
  }
}

export function unwrap<T>(settled: Settled<T>): T {
  if (settled.ok) return settled.value;
  throw settled.error;
}
