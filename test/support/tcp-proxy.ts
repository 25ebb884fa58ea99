import net from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of Postgres or Redis, so a test can take the dependency away from the
 * product without mocking anything: `refuse()` drops every open connection and resets new ones (the server
 * is unreachable), `hang()` stops forwarding bytes in either direction (a stalled network), `restore()`
 * brings it back. Bytes held during a hang are delivered on restore.
 */
export interface TcpProxy {
  readonly port: number;
  /** The target URL with host and port replaced by the proxy's. */
  url(targetUrl: string): string;
  refuse(): void;
  hang(): void;
  restore(): void;
  close(): Promise<void>;
}

type Mode = 'open' | 'refuse' | 'hang';

interface Pair {
  client: net.Socket;
  upstream?: net.Socket;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let mode: Mode = 'open';
  const pairs = new Set<Pair>();
  /** Connections accepted during a hang: wired to the target on restore. */
  const held: Pair[] = [];

  const destroy = (pair: Pair) => {
    pairs.delete(pair);
    pair.client.destroy();
    pair.upstream?.destroy();
  };

  const wire = (pair: Pair) => {
    const upstream = net.connect(target);
    pair.upstream = upstream;
    pair.client.pipe(upstream);
    upstream.pipe(pair.client);
    upstream.on('error', () => destroy(pair));
    upstream.on('close', () => destroy(pair));
  };

  const server = net.createServer((client) => {
    if (mode === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    const pair: Pair = { client };
    pairs.add(pair);
    client.on('error', () => destroy(pair));
    client.on('close', () => destroy(pair));
    if (mode === 'hang') {
      client.pause();
      held.push(pair);
      return;
    }
    wire(pair);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  const port = address.port;

  return {
    port,
    url: (targetUrl) => {
      const url = new URL(targetUrl);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      return url.toString();
    },
    refuse: () => {
      mode = 'refuse';
      held.length = 0;
      for (const pair of [...pairs]) {
        pair.client.resetAndDestroy();
        destroy(pair);
      }
    },
    hang: () => {
      mode = 'hang';
      for (const pair of pairs) {
        if (!pair.upstream) continue;
        pair.client.unpipe(pair.upstream);
        pair.upstream.unpipe(pair.client);
        pair.client.pause();
        pair.upstream.pause();
      }
    },
    restore: () => {
      const wasHanging = mode === 'hang';
      mode = 'open';
      if (!wasHanging) return;
      const waiting = new Set(held.splice(0));
      for (const pair of pairs) {
        if (waiting.has(pair)) {
          wire(pair);
        } else if (pair.upstream) {
          pair.client.pipe(pair.upstream);
          pair.upstream.pipe(pair.client);
        }
      }
    },
    close: async () => {
      for (const pair of [...pairs]) destroy(pair);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
