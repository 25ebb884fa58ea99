import type { Integration } from '../types.js';
import { gofoodOrderActions, TOPIC_ACCEPT, TOPIC_FOOD_PREPARED, TOPIC_REJECT } from './actions.js';
import { gofoodContract } from './contract.js';
import { DEADLINE_JOB, REJECTION_FINAL_JOB, runDeadline, runRejectionFinal } from './deadline.js';
import { handleGofoodEvent } from './handle.js';
import { GOFOOD_SOURCE } from './mapping.js';
import { accept, foodPrepared, reject } from './outbound.js';
import { gofoodReconciliation } from './reconcile.js';
import { registerGofoodAdminRoutes, registerGofoodWebhook } from './route.js';

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
  contract: gofoodContract,
  reconciliation: gofoodReconciliation,
};
