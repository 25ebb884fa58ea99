import { randomUUID } from 'node:crypto';
import type { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { AppError, errorMessage, statusForCode } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { AppEnv } from './env.js';
import type { ErrorEnvelope } from './input.js';

/**
 * Every error a Hono app of ours answers goes out in the one envelope: AppErrors with their status, Hono's
 * own HTTP errors mapped, anything else logged with its cause and answered 500 without internals.
 */
export function answerErrorsInEnvelope(app: Hono<AppEnv>, fallbackLogger: Logger): void {
  app.notFound((c) =>
    c.json(
      envelope('not_found', `no route for ${c.req.method} ${c.req.path}`, c.var.requestId ?? randomUUID()),
      404,
    ),
  );

  app.onError((err, c) => {
    const requestId = c.var.requestId ?? randomUUID();
    const logger = c.var.logger ?? fallbackLogger;
    if (err instanceof AppError) {
      if (err.retryAfterMs !== undefined) c.header('Retry-After', String(Math.ceil(err.retryAfterMs / 1000)));
      if (err.status >= 500)
        logger.error({ err, code: err.code, cause: errorMessage(err.cause) }, err.message);
      return c.json(envelope(err.code, err.message, requestId, err.details), statusForCode(err.code) as 400);
    }
    if (err instanceof HTTPException) {
      const status = err.status;
      const code = status === 413 ? 'payload_too_large' : status === 401 ? 'unauthorized' : 'bad_request';
      return c.json(envelope(code, err.message || 'bad request', requestId), status);
    }
    logger.error({ err }, 'unhandled error');
    return c.json(envelope('internal', 'internal error', requestId), 500);
  });
}

export function envelope(code: string, message: string, requestId: string, details?: unknown): ErrorEnvelope {
  return { error: { code, message, requestId, ...(details === undefined ? {} : { details }) } };
}
