import type { InboundEvent, OutboxRow } from '../../db/schema.js';
import { Badge, CsrfField, Json, type PageContext, when } from './layout.js';

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
export function ReplayForm({ page, action }: { page: PageContext; action: string }) {
  return page.canAct ? (
    <form class="inline" method="post" action={action}>
      <CsrfField page={page} />
      <button type="submit">Replay</button>
    </form>
  ) : (
    ''
  );
}
