import type { Config } from '../config.js';
import type { Integration, OpenOrderStatus } from '../integrations/types.js';

/** How long an order may stay in a state, on any channel that says nothing else (ms). */
export const DEFAULT_STUCK_AFTER_MS: Readonly<Record<OpenOrderStatus, number>> = {
  pending: 24 * 3_600_000,
  confirmed: 48 * 3_600_000,
  processing: 48 * 3_600_000,
  shipped: 14 * 86_400_000,
};

/** The stuck-order thresholds in force: `*` rows are the defaults, then each channel's declaration, then config. */
export function stuckThresholds(
  integrations: readonly Integration[],
  config: Pick<Config, 'RECONCILE_STUCK_AFTER'>,
): { channel: string; status: OpenOrderStatus; seconds: number }[] {
  const byKey = new Map<string, { channel: string; status: OpenOrderStatus; ms: number }>();
  const set = (channel: string, status: OpenOrderStatus, ms: number) =>
    byKey.set(`${channel}:${status}`, { channel, status, ms });
  for (const [status, ms] of Object.entries(DEFAULT_STUCK_AFTER_MS) as [OpenOrderStatus, number][]) {
    set('*', status, ms);
  }
  for (const integration of integrations) {
    const declared = integration.reconciliation?.stuckAfterMs ?? {};
    for (const [status, ms] of Object.entries(declared) as [OpenOrderStatus, number | undefined][]) {
      if (ms !== undefined) set(integration.source, status, ms);
    }
  }
  for (const t of config.RECONCILE_STUCK_AFTER) set(t.channel, t.status, t.ms);
  return [...byKey.values()].map((t) => ({ channel: t.channel, status: t.status, seconds: t.ms / 1000 }));
}

/** Channel × payment status pairs that are normal for an order in `status` (left out of payment checks). */
export function expectedPayments(
  integrations: readonly Integration[],
  status: string,
): { channel: string; paymentStatus: string }[] {
  return integrations.flatMap((integration) =>
    (integration.reconciliation?.expectedPaymentStates ?? [])
      .filter((e) => e.status === status)
      .map((e) => ({ channel: integration.source, paymentStatus: e.paymentStatus })),
  );
}

/** The channels that record their orders' shipments in order_shipments. */
export function shipmentChannels(integrations: readonly Integration[]): string[] {
  return integrations.filter((i) => i.reconciliation?.recordsShipments).map((i) => i.source);
}
