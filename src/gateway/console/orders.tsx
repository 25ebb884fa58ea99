import type { OrderActionName } from '../../integrations/types.js';
import type { OrderDetailDto, OrderDto } from '../../orders/dto.js';
import type { ProviderOrderDto } from '../../orders/provider-orders.js';
import { orderStatuses, paymentStatuses } from '../../orders/status.js';
import { Badge, Layout, money, type PageContext, Pager, type Paging, when } from './layout.js';
import type { OrderRecords } from './queries.js';
import { EventRows, OutboxRows } from './rows.js';

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
  paging: Paging;
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
      <Pager paging={props.paging} />
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

/** Which of an order's items the page shows, with links to the pages before and after, when they do not fit one. */
function ItemsPager({ order, page }: { order: OrderDetailDto; page: number }) {
  const { limit, total } = order.itemsPage;
  if (total <= limit) return '';
  const first = (page - 1) * limit + 1;
  const link = (n: number, label: string) => (
    <a href={`/admin/console/orders/${order.id}?items=${n}`}>{label}</a>
  );
  return (
    <p class="muted">
      {order.items.length > 0
        ? `items ${first}–${first + order.items.length - 1} of ${total}`
        : `no items past the ${total}th`}{' '}
      {page > 1 ? link(Math.min(page - 1, Math.ceil(total / limit)), 'previous') : ''}{' '}
      {page * limit < total ? link(page + 1, 'next') : ''}
    </p>
  );
}

export function OrderPage(props: {
  page: PageContext;
  order: OrderDetailDto;
  providerOrders: ProviderOrderDto[];
  records: OrderRecords;
  actions: OrderActionName[];
  /** The page of items shown (of `order.itemsPage.limit` each). */
  itemsPage: number;
}) {
  const { order: o, records } = props;
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
      <ItemsPager order={o} page={props.itemsPage} />
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
      {records.payments.length > 0 ? (
        <table>
          <tr>
            <th>payment</th>
            <th>amount</th>
            <th>status</th>
            <th>error</th>
            <th>updated</th>
          </tr>
          {records.payments.map((p) => (
            <tr>
              <td>
                <code>{p.payment_id}</code>
              </td>
              <td>{money(p.amount, p.currency)}</td>
              <td>
                <Badge value={p.status} />
              </td>
              <td>{p.error ?? ''}</td>
              <td>{when(p.updated_at)}</td>
            </tr>
          ))}
        </table>
      ) : (
        ''
      )}
      {records.refunds.length > 0 ? (
        <table>
          <tr>
            <th>refund</th>
            <th>amount</th>
            <th>status</th>
            <th>reason</th>
            <th>by</th>
            <th>requested</th>
          </tr>
          {records.refunds.map((r) => (
            <tr>
              <td>
                <code>{r.razorpay_refund_id ?? r.id}</code>
              </td>
              <td>{m(r.amount)}</td>
              <td>
                <Badge value={r.status} />
              </td>
              <td>{r.reason}</td>
              <td>{r.actor}</td>
              <td>{when(r.created_at)}</td>
            </tr>
          ))}
        </table>
      ) : (
        ''
      )}
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
      <EventRows events={records.events} page={props.page} withPayload />
      <h2>Outbox</h2>
      <OutboxRows messages={records.outbox} page={props.page} />
    </Layout>
  );
}
