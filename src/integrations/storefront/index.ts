import { validate } from '../../http/input.js';
import { AppError } from '../../lib/errors.js';
import type { Integration } from '../types.js';
import { registerStorefrontAdminRoutes } from './admin-routes.js';
import { handleCheckout } from './checkout.js';
import { storefrontContract } from './contract.js';
import { registerCustomerRoutes } from './customer-routes.js';
import { EXPIRE_UNPAID_JOB, expireUnpaidProcessor } from './expiry.js';
import { cancelOrder, refundPayment } from './lifecycle.js';
import { documentStorefrontRoutes } from './openapi.js';
import { registerCheckoutRoutes } from './route.js';
import { adminRefundBody, CHECKOUT_EVENT, cancelReasonBody, STOREFRONT_SOURCE } from './schema.js';

/** Our own storefront: catalog, checkout, customer APIs, fulfilment; payments through Razorpay. */
export const storefrontIntegration: Integration = {
  source: STOREFRONT_SOURCE,
  contract: storefrontContract,
  registerRoutes(app, deps) {
    registerCheckoutRoutes(app, deps);
    registerCustomerRoutes(app, deps);
    registerStorefrontAdminRoutes(app, deps);
    documentStorefrontRoutes(app);
  },
  handleEvent(ctx, event) {
    if (event.event_type !== CHECKOUT_EVENT) {
      throw new AppError('validation_failed', `unknown storefront event ${event.event_type}`, {
        retryable: false,
      });
    }
    return handleCheckout(ctx, event);
  },
  maintenance: { [EXPIRE_UNPAID_JOB]: expireUnpaidProcessor },
  schedules: [{ name: EXPIRE_UNPAID_JOB, every: 60_000 }],
  // Operators ship and deliver storefront orders here (`order_shipments`).
  reconciliation: { recordsShipments: true },
  // `POST /admin/orders/:id/cancel` and `/refund` (role: operator).
  orderActions: {
    cancel: (trx, order, body, { actor }) => {
      const { reason } = validate(cancelReasonBody, body);
      return cancelOrder(trx, order, { actor, reason });
    },
    refund: (trx, order, body, { actor }) => {
      const input = validate(adminRefundBody, body);
      return refundPayment(trx, order, { actor, ...input });
    },
  },
};
