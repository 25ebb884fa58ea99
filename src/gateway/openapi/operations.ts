import { resolveBody } from '../../http/action-bodies.js';
import { pageAnswerSchema } from '../../http/input.js';
import type { OperationDoc } from '../../http/openapi.js';
import { recoverResultSchema } from '../../integrations/yemeksepeti/recover.js';
import { recoverBody } from '../../integrations/yemeksepeti/route.js';
import {
  interventionDtoSchema,
  interventionIdParam,
  interventionListQuery,
  interventionReplayAnswerSchema,
} from '../routes/admin-interventions.js';
import { QUEUE_DASHBOARD_PATH } from '../routes/admin-queues.js';
import {
  runBody,
  runDtoSchema,
  runIdParam,
  runListAnswerSchema,
  runListQuery,
} from '../routes/admin-reconciliation.js';
import { admin } from './shared.js';

/** Running the system: recovery, reconciliation, interventions, metrics, the job dashboard. */
export const operationsOperations: OperationDoc[] = [
  {
    method: 'post',
    path: '/admin/yemeksepeti/recover',
    tag: 'operations',
    summary: "List a vendor's Yemeksepeti orders and ingest the ones we missed",
    ...admin,
    body: recoverBody,
    responses: { 200: { description: 'What the recovery listed and ingested', body: recoverResultSchema } },
    errors: [400, 401, 415, 502, 503],
  },
  {
    method: 'post',
    path: '/admin/reconciliation/runs',
    tag: 'operations',
    summary: 'Run reconciliation now',
    ...admin,
    body: runBody,
    bodyRequired: false,
    responses: { 201: { description: "The run's report", body: runDtoSchema } },
    errors: [400, 401, 409, 415],
  },
  {
    method: 'get',
    path: '/admin/interventions',
    tag: 'operations',
    summary: 'Everything that needs a person, newest first (filters: state, source, order)',
    ...admin,
    query: interventionListQuery,
    responses: { 200: { description: 'A page of entries', body: pageAnswerSchema(interventionDtoSchema) } },
    errors: [400, 401],
  },
  {
    method: 'get',
    path: '/admin/interventions/:id',
    tag: 'operations',
    summary: 'One intervention',
    ...admin,
    params: interventionIdParam,
    responses: { 200: { description: 'The entry', body: interventionDtoSchema } },
    errors: [400, 401, 404],
  },
  ...(['resolve', 'acknowledge'] as const).map(
    (action): OperationDoc => ({
      method: 'post',
      path: `/admin/interventions/:id/${action}`,
      tag: 'operations',
      summary:
        action === 'resolve'
          ? 'Resolve an intervention with a note (on the order timeline too)'
          : 'Acknowledge a reconciliation finding: later runs no longer report it',
      ...admin,
      params: interventionIdParam,
      body: resolveBody,
      responses: { 200: { description: 'The resolved entry', body: interventionDtoSchema } },
      errors: [400, 401, 404, 409, 415],
    }),
  ),
  {
    method: 'post',
    path: '/admin/interventions/:id/replay',
    tag: 'operations',
    summary: 'Replay the dead event or outbox message an intervention names',
    ...admin,
    params: interventionIdParam,
    responses: {
      202: {
        description: 'Replay requested; the entry resolves when it succeeds',
        body: interventionReplayAnswerSchema,
      },
    },
    errors: [400, 401, 404, 409, 503],
  },
  {
    method: 'get',
    path: '/admin/reconciliation/runs',
    tag: 'operations',
    summary: 'Reconciliation runs, newest first',
    ...admin,
    query: runListQuery,
    responses: { 200: { description: 'A page of runs', body: runListAnswerSchema } },
    errors: [400, 401],
  },
  {
    method: 'get',
    path: '/admin/reconciliation/runs/:id',
    tag: 'operations',
    summary: "One reconciliation run's report",
    ...admin,
    params: runIdParam,
    responses: { 200: { description: 'The run', body: runDtoSchema } },
    errors: [400, 401, 404],
  },
  {
    method: 'get',
    path: '/admin/metrics',
    tag: 'operations',
    summary: 'Prometheus metrics of this process',
    ...admin,
    responses: {
      200: { description: 'Prometheus text exposition', contentType: 'text/plain', body: { type: 'string' } },
    },
    errors: [401],
  },
  {
    method: 'get',
    path: QUEUE_DASHBOARD_PATH,
    tag: 'operations',
    summary: 'The job dashboard (bull-board), for browsers',
    security: ['admin', 'adminBasic'],
    responses: { 200: { description: 'HTML', contentType: 'text/html', body: { type: 'string' } } },
    errors: [401],
  },
];
