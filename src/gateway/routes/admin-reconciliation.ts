import type { Hono } from 'hono';
import { z } from 'zod';
import type { ReconciliationRun } from '../../db/schema.js';
import type { AppEnv, GatewayDeps } from '../../http/env.js';
import {
  pageOffset,
  pageQuery,
  parseQuery,
  readOptionalJsonBody,
  timestampInput,
  validate,
} from '../../http/input.js';
import type { Integration } from '../../integrations/types.js';
import { AppError } from '../../lib/errors.js';
import { nextWindow, runReconciliation } from '../../reconciliation/run.js';

export const runBody = z
  .object({ since: timestampInput.optional(), until: timestampInput.optional() })
  .strict()
  .refine((b) => !b.since || !b.until || b.since < b.until, { message: 'since must be before until' });

export const runListQuery = z.object(pageQuery({ defaultLimit: 20, maxLimit: 100 })).strict();

export const runIdParam = z.object({ id: z.uuid() });

/** A reconciliation run as the admin API answers it. */
export const runDtoSchema = z.object({
  id: z.uuid(),
  trigger: z.enum(['schedule', 'manual', 'cli']),
  status: z.enum(['running', 'succeeded', 'failed']),
  windowStart: z.iso.datetime(),
  windowEnd: z.iso.datetime(),
  report: z
    .record(z.string(), z.unknown())
    .describe(
      "The core checks' findings (`{count, sample}` each), `repairs`, `interventions` and `integrations` (each integration's own report, by name); empty while running",
    ),
  error: z.string().nullable(),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().nullable(),
});
/** `GET /admin/reconciliation/runs`: a page of runs, newest first (no total). */
export const runListAnswerSchema = z.object({
  data: z.array(runDtoSchema),
  page: z.int().min(1),
  limit: z.int().min(1),
});

function toRunDto(run: ReconciliationRun): z.output<typeof runDtoSchema> {
  return {
    id: run.id,
    trigger: run.trigger,
    status: run.status,
    windowStart: run.window_start.toISOString(),
    windowEnd: run.window_end.toISOString(),
    report: run.report,
    error: run.error,
    startedAt: run.started_at.toISOString(),
    finishedAt: run.finished_at ? run.finished_at.toISOString() : null,
  };
}

/**
 * Reconciliation runs: the cron schedule records one every RECONCILE_CRON; an operator can run one now
 * (`POST`, optionally over a chosen window) and read every run's report.
 */
export function registerAdminReconciliationRoutes(
  app: Hono<AppEnv>,
  deps: GatewayDeps,
  integrations: readonly Integration[],
): void {
  app.post('/admin/reconciliation/runs', async (c) => {
    const body = validate(runBody, await readOptionalJsonBody(c));
    const until = body.until ?? new Date();
    const window = body.since
      ? { since: body.since, until }
      : await nextWindow(deps.db, deps.config.RECONCILE_WINDOW_MS, until);
    const run = await runReconciliation(deps, integrations, { trigger: 'manual', window });
    return c.json(toRunDto(run), 201);
  });

  app.get('/admin/reconciliation/runs', async (c) => {
    const q = parseQuery(c, runListQuery);
    const rows = await deps.db
      .selectFrom('reconciliation_runs')
      .selectAll()
      .orderBy('started_at', 'desc')
      .limit(q.limit)
      .offset(pageOffset(q))
      .execute();
    return c.json({
      data: rows.map(toRunDto),
      page: q.page,
      limit: q.limit,
    } satisfies z.output<typeof runListAnswerSchema>);
  });

  app.get('/admin/reconciliation/runs/:id', async (c) => {
    const { id } = validate(runIdParam, c.req.param(), 'run id');
    const run = await deps.db
      .selectFrom('reconciliation_runs')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!run) throw new AppError('not_found', 'reconciliation run not found', { details: { id } });
    return c.json(toRunDto(run));
  });
}
