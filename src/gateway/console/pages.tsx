import type { InboundEvent, Intervention, OutboxRow } from '../../db/schema.js';
import type { OrderActionName } from '../../integrations/types.js';
import type { OrderDetailDto } from '../../orders/dto.js';
import {
  Badge,
  CsrfField,
  Json,
  Layout,
  money,
  type PageContext,
  Pager,
  type Paging,
  when,
} from './layout.js';
import { EventRows, OutboxRows, ReplayForm } from './rows.js';

/** The refund form's per-SKU quantity fields are named this prefix and the SKU. */
export const REFUND_ITEM_FIELD = 'item:';

/** The fields each action's body takes (the channel's own rules validate them). */
const actionFields: Partial<Record<OrderActionName, { name: string; label: string; type?: string }[]>> = {
  cancel: [{ name: 'reason', label: 'Reason' }],
  refund: [
    { name: 'amount', label: 'Amount (minor units)', type: 'number' },
    { name: 'reason', label: 'Reason' },
  ],
  reject: [
    { name: 'reasonCode', label: 'Reason code (GoFood)' },
    { name: 'description', label: 'Description' },
    { name: 'reason', label: 'Reason' },
  ],
  resolve: [{ name: 'note', label: 'Note' }],
};

export function ConfirmActionPage(props: {
  page: PageContext;
  order: OrderDetailDto;
  action: OrderActionName;
}) {
  const { order: o, action } = props;
  return (
    <Layout title={`Confirm: ${action} order ${o.orderNumber}`} page={props.page}>
      <p>
        {o.channel} order <code>{o.externalOrderId}</code>, <Badge value={o.status} />, total{' '}
        {money(o.total, o.currency)}. This is carried to the channel's provider and cannot be undone here.
      </p>
      <form method="post" action={`/admin/console/orders/${o.id}/actions/${action}`}>
        <CsrfField page={props.page} />
        {(actionFields[action] ?? []).map((f) => (
          <p>
            <label>
              {f.label} <input name={f.name} type={f.type ?? 'text'} />
            </label>
          </p>
        ))}
        {action === 'refund' ? <RefundLines order={o} /> : ''}
        <button type="submit" name="confirm" value="yes">
          Confirm {action}
        </button>{' '}
        <a href={`/admin/console/orders/${o.id}`}>back to the order</a>
      </form>
    </Layout>
  );
}

/**
 * A refund may name the lines it takes back (`items`): a channel that refunds by taking lines out of the
 * order (Yemeksepeti) needs them, the others accept them. One quantity field per SKU, `item:<sku>`.
 */
function RefundLines({ order: o }: { order: OrderDetailDto }) {
  const skus = [...new Set(o.items.map((item) => item.sku))];
  if (skus.length === 0) return '';
  return (
    <table id="refund-lines">
      <tr>
        <th>sku</th>
        <th>lines</th>
        <th>ordered</th>
        <th>value</th>
        <th>quantity to refund</th>
      </tr>
      {skus.map((sku) => {
        const lines = o.items.filter((item) => item.sku === sku);
        const quantity = lines.reduce((sum, item) => sum + item.quantity, 0);
        return (
          <tr>
            <td>
              <code>{sku}</code>
            </td>
            <td>{lines.map((item) => `${item.name} (${item.status})`).join(', ')}</td>
            <td>{quantity}</td>
            <td>
              {money(
                lines.reduce((sum, item) => sum + item.totalPrice, 0),
                o.currency,
              )}
            </td>
            <td>
              <input name={`${REFUND_ITEM_FIELD}${sku}`} type="number" min="0" max={String(quantity)} />
            </td>
          </tr>
        );
      })}
    </table>
  );
}

export const eventStates = ['dead', 'failed', 'attention', 'received', 'processed'] as const;
export const outboxStates = ['dead', 'pending', 'enqueued', 'delivered'] as const;

export function EventsPage(props: {
  page: PageContext;
  kind: 'inbox' | 'outbox';
  state: string;
  events: InboundEvent[];
  outbox: OutboxRow[];
  paging: Paging;
}) {
  const states = props.kind === 'inbox' ? eventStates : outboxStates;
  return (
    <Layout title={props.kind === 'inbox' ? 'Inbox events' : 'Outbox messages'} page={props.page}>
      <p>
        <a href="/admin/console/events?kind=inbox&amp;state=dead">
          {props.kind === 'inbox' ? <b>inbox</b> : 'inbox'}
        </a>{' '}
        ·{' '}
        <a href="/admin/console/events?kind=outbox&amp;state=dead">
          {props.kind === 'outbox' ? <b>outbox</b> : 'outbox'}
        </a>{' '}
        — state:{' '}
        {states.map((s) => (
          <>
            <a href={`/admin/console/events?kind=${props.kind}&state=${s}`}>
              {s === props.state ? <b>{s}</b> : s}
            </a>{' '}
          </>
        ))}
      </p>
      <Pager paging={props.paging} />
      {props.kind === 'inbox' ? (
        <EventRows events={props.events} page={props.page} />
      ) : (
        <OutboxRows messages={props.outbox} page={props.page} />
      )}
    </Layout>
  );
}

export function InterventionsPage(props: {
  page: PageContext;
  state: string;
  rows: Intervention[];
  paging: Paging;
}) {
  return (
    <Layout title="Interventions" page={props.page}>
      <p>
        <a href="/admin/console/interventions?state=open">{props.state === 'open' ? <b>open</b> : 'open'}</a>{' '}
        ·{' '}
        <a href="/admin/console/interventions?state=resolved">
          {props.state === 'resolved' ? <b>resolved</b> : 'resolved'}
        </a>
      </p>
      <Pager paging={props.paging} />
      <table>
        <tr>
          <th>opened</th>
          <th>source</th>
          <th>summary</th>
          <th>links</th>
          <th>seen</th>
          <th>state</th>
        </tr>
        {props.rows.map((i) => (
          <tr data-intervention={i.id}>
            <td>{when(i.opened_at)}</td>
            <td>{i.source}</td>
            <td>
              {i.summary}
              <details>
                <summary>details</summary>
                <Json value={i.details} />
              </details>
            </td>
            <td>
              {i.order_id ? <a href={`/admin/console/orders/${i.order_id}`}>order</a> : ''}{' '}
              {i.event_id ? <code>event {i.event_id}</code> : ''}
              {i.event_id && i.state === 'open' ? (
                <ReplayForm page={props.page} action={`/admin/console/events/${i.event_id}/replay`} />
              ) : (
                ''
              )}
              {i.outbox_id !== null && i.state === 'open' ? (
                <ReplayForm page={props.page} action={`/admin/console/outbox/${i.outbox_id}/replay`} />
              ) : (
                ''
              )}{' '}
              {i.outbox_id ? <code>outbox {i.outbox_id}</code> : ''}
            </td>
            <td>
              {i.occurrences}× (last {when(i.last_seen_at)})
            </td>
            <td>
              <Badge value={i.state} />
              {i.state === 'open' && props.page.canAct ? (
                <form method="post" action={`/admin/console/interventions/${i.id}/resolve`}>
                  <CsrfField page={props.page} />
                  <input name="note" placeholder="what was done" required minlength={3} />{' '}
                  <button type="submit">Resolve</button>
                </form>
              ) : (
                <span class="muted"> {i.resolution_note ?? ''}</span>
              )}
            </td>
          </tr>
        ))}
      </table>
    </Layout>
  );
}

/** The sign-in form: the admin token is exchanged for a session cookie by `POST /auth/session`. */
export function LoginPage({ next, error }: { next: string; error?: string | undefined }) {
  return (
    <Layout title="Sign in" page={{ role: '', csrf: undefined, canAct: false, error }}>
      <form method="post" action="/auth/session">
        <p>
          <label>
            Admin token <input type="password" name="token" autocomplete="current-password" required />
          </label>
        </p>
        <input type="hidden" name="next" value={next} />
        <button type="submit">Sign in</button>
      </form>
      <p class="muted">
        To read without signing in,{' '}
        <a href={`${next}${next.includes('?') ? '&' : '?'}prompt=basic`}>use the browser's prompt</a> (any
        user name, the token as the password); acting needs a signed-in session.
      </p>
    </Layout>
  );
}
