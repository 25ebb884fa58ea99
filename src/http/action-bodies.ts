import { z } from 'zod';

/** Bodies of the operator actions on an order (`POST /admin/orders/:id/{cancel|refund|resolve}`), shared by the
 * core actions and every channel that carries them to its provider. */
export const cancelBody = z.object({ reason: z.string().trim().min(3).max(500) });
export const resolveBody = z.object({ note: z.string().trim().min(3).max(500) });
export const refundBody = z.object({
  /** Minor units. */
  amount: z.number().int().positive(),
  reason: z.string().trim().min(3).max(500),
  items: z.array(z.object({ sku: z.string().min(1), quantity: z.number().int().positive() })).optional(),
});
