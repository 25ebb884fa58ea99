/** The outbox topics that tell GoBiz the merchant's decisions, one provider call each. */
import { z } from 'zod';
import { withProviderAnswer } from '../provider-error.js';
import type { OutboundProcessor } from '../types.js';
import { outboundPayloadSchema } from './actions.js';
import { gobizClientFor, rejectReasonCodes } from './client.js';

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

export const accept: OutboundProcessor = withAnswer(async (ctx, job) => {
  const ref = outboundPayloadSchema.parse(job.payload);
  await gobizClientFor(ctx.config).accept(ref, idempotencyKey(job.outboxId));
});

export const reject: OutboundProcessor = withAnswer(async (ctx, job) => {
  const { reasonCode, description, ...ref } = rejectPayload.parse(job.payload);
  await gobizClientFor(ctx.config).reject(
    ref,
    { code: reasonCode, description },
    idempotencyKey(job.outboxId),
  );
});

export const foodPrepared: OutboundProcessor = withAnswer(async (ctx, job) => {
  const { countryCode, ...ref } = foodPreparedPayload.parse(job.payload);
  await gobizClientFor(ctx.config).foodPrepared(ref, countryCode, idempotencyKey(job.outboxId));
});
