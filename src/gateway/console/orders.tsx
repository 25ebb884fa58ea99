import type { InboundEvent, OutboxRow } from '../../db/schema.js';
import type { OrderActionName } from '../../integrations/types.js';
import type { ProviderOrderDto } from '../../orders/provider-orders.js';
import type { OrderDetailDto, OrderDto } from '../../orders/queries.js';
import { orderStatuses, paymentStatuses } from '../../orders/status.js';
import { Badge, CsrfField, Json, Layout, money, type PageContext, when } from './layout.js';

export interface OrderFilters {
  q?: string | undefined;
  channel?: string | undefined;
  status?: string | undefined;
  paymentStatus?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

function Select({ name, values, selected }: { name: string; values: readonly string[]; selected?: string }) {
  return (
    <select name={name}>
      <option value="">any</option>
      {values.map((v) => (
        <option value={v} selected={v === selected}>
          {v}
        </option>
      ))}
    </select>
  );
}

export function OrdersPage(props: {
  page: PageContext;
  filters: OrderFilters;
  channels: readonly string[];
  orders: OrderDto[];
  total: number;
  totalIsEstimate: boolean;
}) {
  const { filters: f } = props;
  return (
    <Layout title="Orders" page={props.page}>
      <form method="get" action="/admin/console/orders">
        <fieldset>
          <input type="search" name="q" value={f.q ?? ''} placeholder="order number, id, customer, phone…" />{' '}
          channel <Select name="channel" values={props.channels} selected={f.channel} /> status{' '}
          <Select name="status" values={orderStatuses} selected={f.status} /> payment{' '}
          <Select name="paymentStatus" values={paymentStatuses} selected={f.paymentStatus} /> from{' '}
          <input type="date" name="from" value={f.from ?? ''} /> to{' '}
          <input type="date" name="to" value={f.to ?? ''} /> <button type="submit">Search</button>{' '}
          <a href="/admin/console/orders">clear</a>
        </fieldset>
      </form>
      <p class="muted">
        {props.totalIsEstimate ? 'about ' : ''}
        {props.total} orders, most recent first
      </p>
      <table>
        <tr>
          <th>order</th>
          <th>channel</th>
          <th>external id</th>
          <th>customer</th>
          <th>status</th>
          <th>payment</th>
          <th>total</th>
          <th>created</th>
        </tr>
        {props.orders.map((o) => (
          <tr>
            <td>
              <a href={`/admin/console/orders/${o.id}`}>{o.orderNumber}</a>
            </td>
            <td>{o.channel}</td>
            <td>
              <code>{o.externalOrderId}</code>
            </td>
            <td>{o.customer?.name ?? '–'}</td>
            <td>
              <Badge value={o.status} /> {o.attentionReason ? <Badge value="attention" /> : ''}
            </td>
            <td>
              <Badge value={o.paymentStatus} />
            </td>
            <td>{money(o.total, o.currency)}</td>
            <td>{when(o.createdAt)}</td>
          </tr>
        ))}
      </table>
    </Layout>
  );
}

export function OrderPage(props: {
  page: PageContext;
  order: OrderDetailDto;
  providerOrders: ProviderOrderDto[];
  events: InboundEvent[];
  outbox: OutboxRow[];
  actions: OrderActionName[];
}) {
  const { order: o } = props;
  const m = (minor: number) => money(minor, o.currency);
  return (
    <Layout title={`Order ${o.orderNumber}`} page={props.page}>
      <div class="grid">
        <span>
          channel <b>{o.channel}</b>
        </span>
        <span>
          external id <code>{o.externalOrderId}</code>
        </span>
        <span>
          status <Badge value={o.status} />
        </span>
        <span>
          channel status <Badge value={o.channelStatus} />
        </span>
        <span>
          payment <Badge value={o.paymentStatus} />
        </span>
        <span>warehouse {o.warehouseCode ?? '–'}</span>
        <span>customer {o.customer ? `${o.customer.name ?? ''} ${o.customer.phone ?? ''}` : '–'}</span>
        <span>created {when(o.createdAt)}</span>
      </div>
      {o.attentionReason ? <p class="error">Needs attention: {o.attentionReason}</p> : ''}
      <h2>Actions</h2>
      <p>
        {props.page.canAct ? '' : <span class="muted">Signing in with an operator token lets you act. </span>}
        {(props.page.canAct ? props.actions : []).map((a) => (
          <>
            <a href={`/admin/console/orders/${o.id}/actions/${a}`}>{a}</a>{' '}
          </>
        ))}
      </p>
      <h2>Items</h2>
      <table>
        <tr>
          <th>#</th>
          <th>sku</th>
          <th>name</th>
          <th>quantity</th>
          <th>unit price</th>
          <th>total</th>
          <th>status</th>
        </tr>
        {o.items.map((i) => (
          <tr>
            <td>{i.lineNo}</td>
            <td>
              <code>{i.sku}</code>
            </td>
            <td>{i.name}</td>
            <td>
              {i.quantity}
              {i.weightGrams !== null ? ` (${i.weightGrams} g)` : ''}
            </td>
            <td>{m(i.unitPrice)}</td>
            <td>{m(i.totalPrice)}</td>
            <td>
              <Badge value={i.status} />
            </td>
          </tr>
        ))}
      </table>
      <h2>Totals, payments and refunds</h2>
      <div class="grid">
        <span>subtotal {m(o.subtotal)}</span>
        <span>discounts {m(o.discountTotal)}</span>
        <span>shipping {m(o.shippingTotal)}</span>
        <span>tax {m(o.taxTotal)}</span>
        <span>
          total <b>{m(o.total)}</b>
        </span>
        <span>
          payment <Badge value={o.paymentStatus} />
        </span>
        <span>refunded {m(o.refundedTotal)}</span>
      </div>
      <h2>Timeline</h2>
      <table id="timeline">
        <tr>
          <th>at</th>
          <th>type</th>
          <th>status</th>
          <th>actor</th>
          <th>message</th>
        </tr>
        {o.timeline.map((t) => (
          <tr>
            <td>{when(t.createdAt)}</td>
            <td>{t.type}</td>
            <td>{t.toStatus ? `${t.fromStatus ?? '∅'} → ${t.toStatus}` : ''}</td>
            <td>{t.actor}</td>
            <td>{t.message}</td>
          </tr>
        ))}
      </table>
      <h2>Channel status history</h2>
      <table>
        <tr>
          <th>recorded</th>
          <th>channel status</th>
          <th>applied</th>
          <th>occurred</th>
          <th>note</th>
        </tr>
        {o.channelStatusHistory.map((s) => (
          <tr>
            <td>{when(s.recordedAt)}</td>
            <td>{s.channelStatus}</td>
            <td>{s.applied ? 'yes' : 'no'}</td>
            <td>{when(s.occurredAt)}</td>
            <td>{s.note ?? ''}</td>
          </tr>
        ))}
      </table>
      {props.providerOrders.length > 0 ? (
        <>
          <h2>Provider orders</h2>
          <table>
            <tr>
              <th>provider</th>
              <th>amount</th>
              <th>processing</th>
              <th>fulfilment</th>
              <th>reference</th>
              <th>history</th>
            </tr>
            {props.providerOrders.map((p) => (
              <tr>
                <td>{p.providerId}</td>
                <td>{money(p.amount, p.currency)}</td>
                <td>
                  <Badge value={p.processing} /> {p.reason ?? ''}
                </td>
                <td>
                  <Badge value={p.fulfilment} />
                </td>
                <td>{p.externalRef ?? '–'}</td>
                <td>{p.history.map((h) => `${when(h.at)} ${h.source} ${h.state}`).join('; ')}</td>
              </tr>
            ))}
          </table>
        </>
      ) : (
        ''
      )}
      <h2>Inbound events</h2>
      <EventRows events={props.events} page={props.page} withPayload />
      <h2>Outbox</h2>
      <OutboxRows messages={props.outbox} page={props.page} />
    </Layout>
  );
}

/** Inbox states an operator may replay from (the inbox refuses processed events and running jobs). */
const replayable = new Set(['dead', 'failed', 'attention']);

export function EventRows(props: { events: InboundEvent[]; page: PageContext; withPayload?: boolean }) {
  return (
    <table class="events">
      <tr>
        <th>received</th>
        <th>source</th>
        <th>type</th>
        <th>external order</th>
        <th>status</th>
        <th>attempts</th>
        <th>error / payload</th>
      </tr>
      {props.events.map((e) => (
        <tr data-event={e.id}>
          <td>{when(e.received_at)}</td>
          <td>{e.source}</td>
          <td>{e.event_type}</td>
          <td>
            <code>{e.external_order_id ?? '–'}</code>
          </td>
          <td>
            <Badge value={e.status} />
          </td>
          <td>{e.attempts}</td>
          <td>
            {e.last_error ? <pre class="error">{e.last_error}</pre> : ''}
            {replayable.has(e.status) ? (
              <ReplayForm page={props.page} action={`/admin/console/events/${e.id}/replay`} />
            ) : (
              ''
            )}
            {props.withPayload ? (
              <details>
                <summary>payload</summary>
                <Json value={e.payload} />
              </details>
            ) : (
              ''
            )}
          </td>
        </tr>
      ))}
    </table>
  );
}

export function OutboxRows(props: { messages: OutboxRow[]; page: PageContext }) {
  return (
    <table class="outbox">
      <tr>
        <th>id</th>
        <th>created</th>
        <th>topic</th>
        <th>order</th>
        <th>status</th>
        <th>error</th>
      </tr>
      {props.messages.map((m) => (
        <tr data-outbox={String(m.id)}>
          <td>{String(m.id)}</td>
          <td>{when(m.created_at)}</td>
          <td>{m.topic}</td>
          <td>{m.order_id ? <a href={`/admin/console/orders/${m.order_id}`}>order</a> : '–'}</td>
          <td>
            <Badge value={m.status} />
          </td>
          <td>
            {m.last_error ? <pre class="error">{m.last_error}</pre> : ''}
            {m.status === 'dead' ? (
              <ReplayForm page={props.page} action={`/admin/console/outbox/${m.id}/replay`} />
            ) : (
              ''
            )}
          </td>
        </tr>
      ))}
    </table>
  );
}

/** Replay acts at once: it only re-runs work that already failed, and is refused for work that succeeded. */
function ReplayForm({ page, action }: { page: PageContext; action: string }) {
  return page.canAct ? (
    <form class="inline" method="post" action={action}>
      <CsrfField page={page} />
      <button type="submit">Replay</button>
    </form>
  ) : (
    ''
  );
}
