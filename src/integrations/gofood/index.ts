import { z } from 'zod';
import { withProviderAnswer } from '../http.js';
import type { Integration, OutboundProcessor } from '../types.js';
import { gobizClientFor, rejectReasonCodes } from './client.js';
import {
  DEADLINE_JOB,
  gofoodOrderActions,
  handleGofoodEvent,
  outboundPayloadSchema,
  REJECTION_FINAL_JOB,
  runDeadline,
  runRejectionFinal,
  TOPIC_ACCEPT,
  TOPIC_FOOD_PREPARED,
  TOPIC_REJECT,
} from './handler.js';
import { GOFOOD_SOURCE } from './mapping.js';
import { gofoodReconciliation } from './reconcile.js';
import { registerGofoodAdminRoutes, registerGofoodWebhook } from './route.js';

const rejectPayload = outboundPayloadSchema.extend({
  reasonCode: z.enum(rejectReasonCodes),
  description: z.string().min(1),
});
const foodPreparedPayload = outboundPayloadSchema.extend({ countryCode: z.string().length(2) });

// The idempotency key is stable across the retries of one outbox message.
const idempotencyKey = (outboxId: number) => `ordergate-outbox-${outboxId}`;

/** A GoBiz refusal names GoBiz's error code and message on the timeline and the attention reason. */
const withAnswer =
  (processor: OutboundProcessor): OutboundProcessor =>
  (ctx, job, bullJob) =>
    processor(ctx, job, bullJob).catch((err: unknown) => {
      throw withProviderAnswer(err);
    });

const accept: OutboundProcessor = withAnswer(async (ctx, job) => {
  const ref = outboundPayloadSchema.parse(job.payload);
  await gobizClientFor(ctx.config).accept(ref, idempotencyKey(job.outboxId));
});

const reject: OutboundProcessor = withAnswer(async (ctx, job) => {
  const { reasonCode, description, ...ref } = rejectPayload.parse(job.payload);
  await gobizClientFor(ctx.config).reject(
    ref,
    { code: reasonCode, description },
    idempotencyKey(job.outboxId),
  );
});

const foodPrepared: OutboundProcessor = withAnswer(async (ctx, job) => {
  const { countryCode, ...ref } = foodPreparedPayload.parse(job.payload);
  await gobizClientFor(ctx.config).foodPrepared(ref, countryCode, idempotencyKey(job.outboxId));
});

/** GoFood (GoBiz): notifications in, merchant decisions out, acceptance deadlines. See docs/gofood.md. */
export const gofoodIntegration: Integration = {
  source: GOFOOD_SOURCE,
  registerRoutes(app, deps) {
    registerGofoodWebhook(app, deps);
    registerGofoodAdminRoutes(app, deps);
  },
  handleEvent: handleGofoodEvent,
  outbound: { [TOPIC_ACCEPT]: accept, [TOPIC_REJECT]: reject, [TOPIC_FOOD_PREPARED]: foodPrepared },
  maintenance: {
    [DEADLINE_JOB]: (ctx, data) => runDeadline(ctx, data),
    [REJECTION_FINAL_JOB]: (ctx, data) => runRejectionFinal(ctx, data),
  },
  orderActions: gofoodOrderActions,
  reconciliation: gofoodReconciliation,
};
