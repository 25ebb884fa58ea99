import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

/** What a listener is told: each notification's payload, and each (re)start of listening. */
export interface ListenHandlers {
  onNotify(payload: string): void;
  /**
   * Called once listening has started, and again after every reconnection: notifications sent while no
   * connection was listening are lost, so this is where a listener catches up from the tables.
   */
  onListening(): void;
}

export interface Subscription {
  close(): Promise<void>;
}

const RECONNECT_MS = 1000;

/** A Postgres channel name: an identifier we choose, never user input. */
function channelIdent(channel: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`invalid notification channel ${channel}`);
  return channel;
}

/**
 * LISTEN on a dedicated connection (a pooled one would be handed to other queries). A dropped connection
 * (Postgres restarted, the network cut) is replaced every second until one holds, and each new one reports
 * `onListening`.
 */
export function listenOnPostgres(
  connectionString: string,
  channel: string,
  handlers: ListenHandlers,
): Subscription {
  const ident = channelIdent(channel);
  let closed = false;
  let current: pg.Client | undefined;
  let timer: NodeJS.Timeout | undefined;
  const retry = () => {
    if (!closed && timer === undefined) {
      timer = setTimeout(() => {
        timer = undefined;
        void connect();
      }, RECONNECT_MS);
    }
  };
  const connect = async () => {
    const client = new pg.Client({ connectionString, connectionTimeoutMillis: 3000, keepAlive: true });
    let ended = false;
    const lost = () => {
      if (ended) return;
      ended = true;
      if (current === client) current = undefined;
      client.end().catch(() => {});
      retry();
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (message) => {
      if (message.channel === ident && message.payload) handlers.onNotify(message.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${ident}`);
    } catch {
      lost();
      return;
    }
    if (closed || ended) {
      ended = true;
      await client.end().catch(() => {});
      return;
    }
    current = client;
    handlers.onListening();
  };
  void connect();
  return {
    close: async () => {
      closed = true;
      if (timer) clearTimeout(timer);
      const client = current;
      current = undefined;
      await client?.end().catch(() => {});
    },
  };
}

/** LISTEN inside the embedded database: notifications from any query on the same instance arrive here. */
export async function listenOnPglite(
  pglite: PGlite,
  channel: string,
  handlers: ListenHandlers,
): Promise<Subscription> {
  const unlisten = await pglite.listen(channelIdent(channel), (payload) => {
    if (payload) handlers.onNotify(payload);
  });
  handlers.onListening();
  return {
    close: async () => {
      if (!pglite.closed) await unlisten();
    },
  };
}
