import type { Context, Hono, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie } from 'hono/cookie';
import { z } from 'zod';
import type { AppEnv, GatewayDeps } from '../../http/env.js';
import { pageOffset, validate } from '../../http/input.js';
import { documentRoute, excludeFromDocs } from '../../http/openapi.js';
import { replayEvent } from '../../inbox/replay.js';
import { type Integration, orderActionNames } from '../../integrations/types.js';
import { AppError } from '../../lib/errors.js';
import { adminActor, roleCovers } from '../../lib/roles.js';
import { listInterventions, resolveIntervention } from '../../orders/interventions.js';
import { ORDER_DETAIL_ITEMS, orderItemsPage } from '../../orders/order-items.js';
import { listProviderOrders } from '../../orders/provider-orders.js';
import { getOrderDetail, searchOrders, toItemDto } from '../../orders/queries.js';
import { replayOutboxMessage } from '../../outbox/replay.js';
import { channelActionNames, runOrderAction } from '../order-actions.js';
import { listEvents } from '../routes/admin-events.js';
import { interventionListQuery } from '../routes/admin-interventions.js';
import { orderListQuery } from '../routes/admin-orders.js';
import { listOutbox, outboxIdParam } from '../routes/admin-outbox.js';
import { CSRF_COOKIE, CSRF_FIELD, SESSION_COOKIE, type SessionStore } from '../sessions.js';
import { Layout, type PageContext } from './layout.js';
import { OrderPage, OrdersPage } from './orders.js';
import {
  ConfirmActionPage,
  EventsPage,
  eventStates,
  InterventionsPage,
  LoginPage,
  outboxStates,
  REFUND_ITEM_FIELD,
} from './pages.js';
import { orderRecords } from './queries.js';

export const CONSOLE = '/admin/console';

/** Where the sign-in form sends a browser back to: a console page, nothing else. */
const consolePath = z
  .string()
  .regex(/^\/admin\/console[\w\-/.]*$/)
  .refine((p) => !p.includes('//') && !p.includes('..'))
  .catch(`${CONSOLE}/orders`);

const idParam = z.object({ id: z.uuid() });
/** The orders list's form fields, handed to the admin search (the page's own parameters are not). */
const searchFields = new Set(['q', 'channel', 'status', 'paymentStatus', 'from', 'to', 'page']);
const actionParam = z.object({ id: z.uuid(), action: z.enum(orderActionNames) });
const flash = z.object({ notice: z.string().max(300).optional(), error: z.string().max(300).optional() });
/** Empty form fields are absent; everything else is the action body the channel's rules validate. */
const actionForm = z.record(z.string(), z.string());
const resolveForm = z.object({ note: z.string().trim().min(3).max(500) });
/** Rows on one page of the console's events and interventions lists. */
const CONSOLE_ROWS = 100;
/** A list's page number; a malformed one opens the first page. */
const pageParam = z.coerce.number().int().min(1).max(100_000).catch(1);
/** Which page of its items an order's page shows; a malformed one shows the first. */
const orderPageQuery = z.object({ items: z.coerce.number().int().min(1).max(100).catch(1) });
const eventsQuery = z.object({
  kind: z.enum(['inbox', 'outbox']).catch('inbox'),
  state: z.string().max(20).optional(),
  page: pageParam,
});
const interventionsQuery = z.object({
  state: z.enum(['open', 'resolved']).catch('open'),
  source: interventionListQuery.shape.source.catch(undefined),
  page: pageParam,
});

export interface ConsoleOptions {
  integrations: readonly Integration[];
  sessions: SessionStore;
}

/**
 * Sends a browser that opens a console page without any credential to the sign-in page, instead of the
 * admin guard's 401 (whose `WWW-Authenticate` makes the browser prompt for Basic credentials). Placed before the guard; a request with credentials goes on to the guard, which decides.
 */
export function consoleSignIn(sessions: SessionStore): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    // `?prompt=basic` (a link on the sign-in page) lets the guard's 401 ask for Basic credentials instead.
    if (c.req.method === 'GET' && !c.req.header('authorization') && c.req.query('prompt') !== 'basic') {
      const id = getCookie(c, SESSION_COOKIE);
      if (!id || !(await sessions.read(id))) {
        const url = new URL(c.req.url);
        return c.redirect(`/auth/console?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
      }
    }
    await next();
  };
}

/**
 * A sign-in from the console's form that fails (a wrong token, too many failures) goes back to the form with
 * the reason, instead of the error envelope's JSON. Placed before the session routes.
 */
export function consoleSignInFailure(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    const err = c.error;
    if (c.req.method !== 'POST' || !(err instanceof AppError)) return;
    if (!/^application\/x-www-form-urlencoded\b/i.test(c.req.header('content-type') ?? '')) return;
    const target = (await c.req.parseBody()).next;
    if (typeof target !== 'string' || !target.startsWith(CONSOLE)) return;
    const to = `/auth/console?next=${encodeURIComponent(consolePath.parse(target))}&error=${encodeURIComponent(err.message)}`;
    c.res = new Response(null, { status: 303, headers: { location: to } });
  };
}

/**
 * Form fields as a body: empty ones dropped, `amount` as an integer (minor units), the refund's per-SKU
 * quantities (`item:<sku>`) as `items` (a 0 names no line; anything but a whole number is passed on for the
 * action's own validation to refuse).
 */
function actionBody(form: Record<string, string>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const items: { sku: string; quantity: unknown }[] = [];
  for (const [name, raw] of Object.entries(form)) {
    const value = raw.trim();
    if (name === CSRF_FIELD || name === 'confirm' || value === '') continue;
    if (name.startsWith(REFUND_ITEM_FIELD)) {
      if (value !== '0') {
        items.push({
          sku: name.slice(REFUND_ITEM_FIELD.length),
          quantity: /^\d+$/.test(value) ? Number(value) : value,
        });
      }
      continue;
    }
    body[name] = name === 'amount' && /^\d+$/.test(value) ? Number(value) : value;
  }
  if (items.length > 0) body.items = items;
  return body;
}

async function formFields(c: Context<AppEnv>): Promise<Record<string, string>> {
  const parsed = await c.req.parseBody();
  return actionForm.parse(
    Object.fromEntries(Object.entries(parsed).filter(([, v]) => typeof v === 'string')),
  );
}

/** After a form: back to a page with what happened, or with why nothing did (a refused action, a bad field). */
async function afterForm(c: Context<AppEnv>, to: string, act: () => Promise<string>): Promise<Response> {
  const sep = to.includes('?') ? '&' : '?';
  try {
    const notice = await act();
    return c.redirect(`${to}${sep}notice=${encodeURIComponent(notice)}`, 303);
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    return c.redirect(
      `${to}${sep}error=${encodeURIComponent(`${err.code}: ${err.message}`.slice(0, 300))}`,
      303,
    );
  }
}

/**
 * The operator console: server-rendered pages under /admin/console, behind the admin guard. Pages read with
 * any admin credential (a session, or Basic credentials from the browser's prompt); every form posts with the
 * session cookie and its CSRF token (a hidden field the admin guard checks), and acts through the same code
 * as the admin API: `runOrderAction`, the inbox and outbox replays, `resolveIntervention`.
 */
export function registerConsole(app: Hono<AppEnv>, deps: GatewayDeps, options: ConsoleOptions): void {
  const byChannel = new Map(options.integrations.map((i) => [i.source, i]));
  const channels = options.integrations.map((i) => i.source);
  const pageContext = async (c: Context<AppEnv>): Promise<PageContext> => {
    const principal = c.get('principal');
    const sessionId = principal?.via === 'session' ? getCookie(c, SESSION_COOKIE) : undefined;
    const session = sessionId ? await options.sessions.read(sessionId) : undefined;
    const messages = flash.catch({}).parse(c.req.query());
    const canAct = Boolean(session && principal && roleCovers(principal.role, 'operator'));
    return { role: principal?.role ?? '', csrf: session?.csrfToken, canAct, ...messages };
  };

  excludeFromDocs(app, CONSOLE, 'the operator console: HTML pages and their forms, not an API');
  documentRoute(app, {
    method: 'get',
    path: '/auth/console',
    tag: 'sessions',
    summary: "The operator console's sign-in page (posts the token to POST /auth/session)",
    responses: { 200: { description: 'HTML', contentType: 'text/html', body: { type: 'string' } } },
    errors: [],
  });
  // A page that fails (an order that does not exist, a malformed id) answers an HTML page with the error
  // envelope's status and message, instead of the envelope's JSON.
  app.use(`${CONSOLE}/*`, async (c, next) => {
    await next();
    const err = c.error;
    if (c.req.method !== 'GET' || !(err instanceof AppError)) return;
    const page: PageContext = { role: c.get('principal')?.role ?? '', csrf: undefined, canAct: false };
    const body = await (
      <Layout title={`${err.status}: ${err.code}`} page={{ ...page, error: err.message }}>
        <p>
          <a href="/admin/console/orders">Back to the orders</a>
        </p>
      </Layout>
    ).toString();
    c.res = new Response(body, {
      status: err.status,
      headers: { 'content-type': 'text/html; charset=UTF-8' },
    });
  });

  app.get('/auth/console', (c) =>
    c.html(<LoginPage next={consolePath.parse(c.req.query('next'))} error={c.req.query('error')} />),
  );

  app.get(CONSOLE, (c) => c.redirect(`${CONSOLE}/orders`, 303));

  app.get(`${CONSOLE}/orders`, async (c) => {
    const page = await pageContext(c);
    const raw = Object.fromEntries(
      Object.entries(c.req.query()).filter(([k, v]) => v !== '' && searchFields.has(k)),
    );
    const filters = { ...raw };
    const parsed = orderListQuery.safeParse({ ...raw, ...(raw.to ? { to: `${raw.to}T23:59:59.999Z` } : {}) });
    if (!parsed.success)
      page.error = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    const result = parsed.success ? await searchOrders(deps.db, parsed.data) : undefined;
    return c.html(
      <OrdersPage
        page={page}
        filters={filters}
        channels={channels}
        orders={result?.data ?? []}
        paging={{
          path: `${CONSOLE}/orders`,
          filters,
          page: parsed.success ? parsed.data.page : 1,
          limit: parsed.success ? parsed.data.limit : 50,
          total: result?.total ?? 0,
          totalIsApproximate: result?.totalIsEstimate ?? false,
          noun: 'orders',
        }}
      />,
    );
  });

  const loadOrder = async (id: string) => {
    const order = await getOrderDetail(deps.db, id);
    if (!order) throw new AppError('not_found', 'order not found', { details: { id } });
    return order;
  };

  app.get(`${CONSOLE}/orders/:id`, async (c) => {
    const { id } = validate(idParam, c.req.param(), 'path');
    const { items: itemsPage } = orderPageQuery.parse(c.req.query());
    const detail = await loadOrder(id);
    // The detail holds the first page of items; another page replaces them.
    const order =
      itemsPage === 1
        ? detail
        : {
            ...detail,
            items: (
              await orderItemsPage(deps.db, id, ORDER_DETAIL_ITEMS, (itemsPage - 1) * ORDER_DETAIL_ITEMS)
            ).map(toItemDto),
          };
    const [providerOrders, records] = await Promise.all([
      listProviderOrders(deps.db, id),
      orderRecords(deps.db, order),
    ]);
    const actions = channelActionNames(byChannel.get(order.channel));
    const page = await pageContext(c);
    return c.html(
      <OrderPage
        page={page}
        order={order}
        itemsPage={itemsPage}
        providerOrders={providerOrders}
        records={records}
        actions={actions}
      />,
    );
  });

  app.get(`${CONSOLE}/orders/:id/actions/:action`, async (c) => {
    const { id, action } = validate(actionParam, c.req.param(), 'path');
    const order = await loadOrder(id);
    return c.html(<ConfirmActionPage page={await pageContext(c)} order={order} action={action} />);
  });

  app.post(`${CONSOLE}/orders/:id/actions/:action`, async (c) => {
    const { id, action } = validate(actionParam, c.req.param(), 'path');
    const body = actionBody(await formFields(c));
    const actor = adminActor(c.get('principal'));
    return afterForm(c, `${CONSOLE}/orders/${id}`, async () => {
      const order = await runOrderAction(deps, byChannel, { id, action, body, actor });
      return `${action} done: the order is ${order?.status ?? 'gone'}`;
    });
  });

  app.get(`${CONSOLE}/events`, async (c) => {
    const { kind, state, page } = eventsQuery.parse(c.req.query());
    const states: readonly string[] = kind === 'inbox' ? eventStates : outboxStates;
    const chosen = state && states.includes(state) ? state : 'dead';
    const q = { page, limit: CONSOLE_ROWS };
    const [events, outbox] = await Promise.all([
      kind === 'inbox'
        ? listEvents(deps.db, { ...q, status: chosen as (typeof eventStates)[number] })
        : undefined,
      kind === 'outbox'
        ? listOutbox(deps.db, { ...q, status: chosen as (typeof outboxStates)[number] })
        : undefined,
    ]);
    const listed = events ?? outbox;
    return c.html(
      <EventsPage
        page={await pageContext(c)}
        kind={kind}
        state={chosen}
        events={events?.data ?? []}
        outbox={outbox?.data ?? []}
        paging={{
          path: `${CONSOLE}/events`,
          filters: { kind, state: chosen },
          page,
          limit: CONSOLE_ROWS,
          total: listed?.total ?? 0,
          totalIsApproximate: listed?.totalIsCapped ?? false,
          noun: kind === 'inbox' ? 'events' : 'messages',
        }}
      />,
    );
  });

  app.post(`${CONSOLE}/events/:id/replay`, async (c) => {
    const { id } = validate(idParam, c.req.param(), 'path');
    return afterForm(c, `${CONSOLE}/events?kind=inbox&state=received`, async () => {
      const { enqueued } = await replayEvent(deps.db, deps.queues.inbox, id);
      return enqueued ? `event ${id} replayed` : `event ${id} reset; the sweeper will enqueue it`;
    });
  });

  app.post(`${CONSOLE}/outbox/:id/replay`, async (c) => {
    const { id } = validate(outboxIdParam, c.req.param(), 'path');
    const actor = adminActor(c.get('principal'));
    return afterForm(c, `${CONSOLE}/events?kind=outbox&state=pending`, async () => {
      await replayOutboxMessage(deps.db, deps.queues.outbound, id, actor);
      return `outbox message ${id} replayed`;
    });
  });

  app.get(`${CONSOLE}/interventions`, async (c) => {
    const { state, source, page } = interventionsQuery.parse(c.req.query());
    const { rows, total } = await listInterventions(
      deps.db,
      { state, source },
      { limit: CONSOLE_ROWS, offset: pageOffset({ page, limit: CONSOLE_ROWS }) },
    );
    return c.html(
      <InterventionsPage
        page={await pageContext(c)}
        state={state}
        rows={rows}
        paging={{
          path: `${CONSOLE}/interventions`,
          filters: { state, source },
          page,
          limit: CONSOLE_ROWS,
          total,
          noun: 'entries',
        }}
      />,
    );
  });

  app.post(`${CONSOLE}/interventions/:id/resolve`, async (c) => {
    const { id } = validate(idParam, c.req.param(), 'path');
    const fields = await formFields(c);
    const actor = adminActor(c.get('principal'));
    return afterForm(c, `${CONSOLE}/interventions`, async () => {
      const { note } = validate(resolveForm, fields);
      await deps.db.transaction().execute((trx) => resolveIntervention(trx, { id, actor, note }));
      return `intervention ${id} resolved`;
    });
  });

  app.post(`${CONSOLE}/logout`, async (c) => {
    const id = getCookie(c, SESSION_COOKIE);
    if (id) await options.sessions.remove(id);
    const secure = deps.config.NODE_ENV !== 'development';
    deleteCookie(c, SESSION_COOKIE, { path: '/', secure, sameSite: 'Strict' });
    deleteCookie(c, CSRF_COOKIE, { path: '/', secure, sameSite: 'Strict' });
    return c.redirect('/auth/console', 303);
  });
}
