/** One event per provider HTTP attempt, for metrics and timelines; a listener never fails a call. */

export interface ProviderCallEvent {
  provider: string;
  method: string;
  /** URL path without the query string (queries can carry ids and tokens). */
  path: string;
  status: number | 'timeout' | 'network';
  durationMs: number;
}

export type ProviderCallListener = (event: ProviderCallEvent) => void;

const listeners = new Set<ProviderCallListener>();

/** Subscribes to every provider call (one event per HTTP attempt). Returns the unsubscribe function. */
export function onProviderCall(listener: ProviderCallListener): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

export function emitCall(event: ProviderCallEvent): void {
  for (const listener of listeners) {
    try {
      listener(event);
    } catch {
      // Metrics must never turn a successful provider call into a failed one.
    }
  }
}
