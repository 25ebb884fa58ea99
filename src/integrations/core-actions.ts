import { cancelBody, refundBody } from '../http/action-bodies.js';
import { validate } from '../http/input.js';
import { refundOrder } from '../orders/refund.js';
import { advanceOrder, transitionOrder } from '../orders/transition.js';
import type { OrderAction, OrderActionName } from './types.js';

/**
 * The order actions of a channel with no provider to tell (the `manual` channel): each changes only our order.
 * A channel with a provider declares its own actions, each carrying the decision to the provider; one it
 * does not declare is refused.
 */
export const coreOrderActions: Partial<Record<OrderActionName, OrderAction>> = {
  cancel: (trx, order, body, { actor }) => {
    const { reason } = validate(cancelBody, body);
    return transitionOrder(trx, { order, to: 'cancelled', actor, reason });
  },
  refund: (trx, order, body, { actor }) => {
    const input = validate(refundBody, body);
    return refundOrder(trx, { order, actor, ...input });
  },
  dispatch: (trx, order, _body, { actor }) =>
    advanceOrder(trx, { order, to: 'shipped', actor, reason: 'dispatched' }),
};
