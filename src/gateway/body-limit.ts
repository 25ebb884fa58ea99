import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit as streamingBodyLimit } from 'hono/body-limit';

/**
 * The request size limit. A body announced with Content-Length is judged by the header alone, without
 * touching `c.req.raw.body`: on @hono/node-server that property materialises a full web `Request` with a
 * ReadableStream and an AbortController, which cost about a third of the gateway's CPU per push. The body is
 * later read straight from the socket by the route, and Node's HTTP parser never delivers more bytes than
 * Content-Length says. Chunked bodies (no Content-Length) still go through Hono's counting stream.
 */
export function bodyLimit<E extends { Variables: object }>(options: {
  maxSize: number;
  onError: (c: Context<E>) => Response | Promise<Response>;
}): MiddlewareHandler<E> {
  const { maxSize, onError } = options;
  const streaming = streamingBodyLimit({ maxSize, onError });
  return async (c, next) => {
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
      const size = Number(length);
      if (!Number.isSafeInteger(size) || size > maxSize) return onError(c);
      await next();
      return;
    }
    return streaming(c, next);
  };
}
