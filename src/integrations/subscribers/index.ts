import { ORDER_CREATED_TOPIC } from '../../orders/events.js';
import { type Integration, refuseInboundEvents } from '../types.js';
import { orderCreatedProcessor, orderCreatedPublisher } from './outbound.js';

export const SUBSCRIBERS_SOURCE = 'subscribers';
export { subscriberJobId } from './outbound.js';

/** Downstream subscribers as an outbound-only integration: it receives no inbound events. */
export const subscribersIntegration: Integration = {
  source: SUBSCRIBERS_SOURCE,
  handleEvent: refuseInboundEvents('subscribers'),
  published: { [ORDER_CREATED_TOPIC]: orderCreatedPublisher },
  outbound: { [ORDER_CREATED_TOPIC]: orderCreatedProcessor },
};
