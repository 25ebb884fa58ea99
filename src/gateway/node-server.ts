import { randomUUID } from 'node:crypto';
import {
  type IncomingMessage,
  type Server,
  type ServerOptions,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import type { Duplex } from 'node:stream';
import type { Config } from '../config.js';
import { envelope } from '../http/envelope.js';
import type { ErrorCode } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';

/**
 * Node's own limits for slow or stalled clients. They must be given when the server is created: Node checks
 * them on `connectionsCheckingInterval` (30 s by default), so a short request timeout needs a finer check.
 */
export function httpServerOptions(
  config: Pick<Config, 'REQUEST_TIMEOUT_MS' | 'HEADERS_TIMEOUT_MS' | 'KEEP_ALIVE_TIMEOUT_MS'>,
): ServerOptions {
  const requestTimeout = config.REQUEST_TIMEOUT_MS;
  // Node refuses a headers timeout longer than a (non-zero) request timeout.
  const headersTimeout =
    requestTimeout > 0 && config.HEADERS_TIMEOUT_MS > 0
      ? Math.min(config.HEADERS_TIMEOUT_MS, requestTimeout)
      : config.HEADERS_TIMEOUT_MS || requestTimeout;
  const enforced = [requestTimeout, headersTimeout].filter((t) => t > 0);
  const shortest = enforced.length > 0 ? Math.min(...enforced) : 120_000;
  return {
    requestTimeout,
    headersTimeout,
    keepAliveTimeout: config.KEEP_ALIVE_TIMEOUT_MS,
    connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(shortest / 4))),
  };
}

const clientErrorStatus: Record<string, number> = {
  ERR_HTTP_REQUEST_TIMEOUT: 408,
  HPE_HEADER_OVERFLOW: 431,
};

/**
 * Requests Node refuses before they reach the app (a timeout, unparsable HTTP, oversized headers) are still
 * answered in the error envelope, then the connection is dropped.
 */
export function answerClientErrorsInEnvelope(server: Server, logger: Logger): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    const status = clientErrorStatus[err.code ?? ''] ?? 400;
    // Only answer when nothing of a response was written on this connection yet (as Node's default does).
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const code: ErrorCode = status === 408 ? 'request_timeout' : 'bad_request';
    const message =
      status === 408
        ? 'the request did not arrive in time'
        : status === 431
          ? 'request headers are too large'
          : 'malformed HTTP request';
    const requestId = randomUUID();
    logger.debug({ requestId, status, code: err.code }, 'client error');
    const body = JSON.stringify(envelope(code, message, requestId));
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${requestId}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
      () => socket.destroy(),
    );
  });
}

/** How much of a body the server still reads after answering early, and for how long (see below). */
export interface LingerBounds {
  maxBytes: number;
  maxMs: number;
}

export const DEFAULT_LINGER: LingerBounds = { maxBytes: 16 * 1024 * 1024, maxMs: 10_000 };

/**
 * How often a lingering connection's bounds are checked while no bytes arrive; while they do, the check runs
 * on every turn of the event loop. Loopback delivers ~800 MB a second: a 50 ms timer let 40 MB past the
 * 16 MiB bound, 5 ms lets at most ~4 MB, for at most 2,000 wake-ups over the 10 s bound.
 */
const LINGER_CHECK_MS = 5;

/**
 * Lingering close, as nginx does it. An answer given before the body has arrived (413 from the Content-Length
 * alone, 401 on a bad token) must still reach a client that sends its whole body before it reads (Node's
 * fetch, most HTTP libraries): if the server closes the socket while body bytes are still arriving, the
 * kernel answers them with a reset, the client's write fails (EPIPE/ECONNRESET) and the answer is lost.
 * So once such an answer is written, the rest of the body is read and discarded, at most `maxBytes` of it
 * and for at most `maxMs`; then the connection is closed if the answer said `Connection: close`, or is free
 * for the next request. Past either bound the socket is dropped (the client may then see a reset).
 *
 * Node alone would close a `Connection: close` socket as soon as the answer is flushed (`destroySoon`:
 * `end()`, then `destroy` on the socket's `finish`), and @hono/node-server's own clean-up drops the socket
 * after 500 ms or 64 MiB of unread body; `serve` must be given `autoCleanupIncoming: false` so this is the
 * one rule.
 */
export function lingerAfterEarlyAnswers(server: Server, bounds: LingerBounds = DEFAULT_LINGER): void {
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    // Registered after Node's own `finish` handler, which has by now dumped the body and, for
    // `Connection: close`, ended the socket and scheduled its destruction.
    res.once('finish', () => {
      if (req.complete) return;
      const socket = req.socket;
      if (socket.destroyed) return;
      socket.removeListener('finish', socket.destroy);
      const closing = socket.writableEnded;
      // Node parses a dumped body without emitting it, so the bytes read are the socket's.
      const readBefore = socket.bytesRead;
      const started = Date.now();
      let stopped = false;
      let timer: NodeJS.Timeout | undefined;
      let immediate: NodeJS.Immediate | undefined;
      const stop = (drop: boolean) => {
        stopped = true;
        clearTimeout(timer);
        if (immediate) clearImmediate(immediate);
        req.off('end', done);
        socket.off('close', done);
        if (drop || closing) socket.destroy();
      };
      const done = () => stop(false);
      let seen = readBefore;
      const check = () => {
        if (stopped) return;
        const read = socket.bytesRead;
        if (read - readBefore > bounds.maxBytes || Date.now() - started > bounds.maxMs) {
          stop(true);
          return;
        }
        if (read > seen) {
          seen = read;
          immediate = setImmediate(check);
        } else {
          timer = setTimeout(check, LINGER_CHECK_MS);
          timer.unref();
        }
      };
      check();
      req.once('end', done);
      socket.once('close', done);
      req.resume();
    });
  });
}

/**
 * Connection limits Node does not give: a connection that sends nothing is closed after
 * `firstRequestTimeoutMs` (Node's header timeout only starts with the first byte, so silent sockets stayed
 * open for good), and the process takes at most `maxConnections` at once (more are closed on accept).
 * 0 turns either off. The edge (load balancer) should still cap connections per client address and drop
 * idle ones sooner: this is the last line, per process.
 */
export function limitConnections(
  server: Server,
  config: Pick<Config, 'FIRST_REQUEST_TIMEOUT_MS' | 'MAX_CONNECTIONS'>,
): void {
  if (config.MAX_CONNECTIONS > 0) server.maxConnections = config.MAX_CONNECTIONS;
  const idleMs = config.FIRST_REQUEST_TIMEOUT_MS;
  if (idleMs <= 0) return;
  const waiting = new WeakMap<Duplex, NodeJS.Timeout>();
  const settle = (socket: Duplex) => {
    clearTimeout(waiting.get(socket));
    waiting.delete(socket);
  };
  server.on('connection', (socket: Duplex) => {
    const timer = setTimeout(() => socket.destroy(), idleMs);
    timer.unref();
    waiting.set(socket, timer);
    socket.once('close', () => settle(socket));
  });
  // Node's parser reads the socket natively (no 'data' events): the first request is the sign of life.
  server.on('request', (req: { socket: Duplex }) => settle(req.socket));
}
