import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';
import { CSRF_FIELD } from '../sessions.js';

/** Styles inline: the console loads nothing from elsewhere (operators run it inside closed networks). */
const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d232a;background:#f6f8fa}
header{background:#1d232a;color:#fff;display:flex;align-items:center;gap:1.2rem;padding:.6rem 1.5rem}
header a{color:#cfe3ff;text-decoration:none}header a:hover{text-decoration:underline}header b{color:#fff}
header form{margin-left:auto}main{padding:1rem 1.5rem;max-width:84rem}
table{border-collapse:collapse;width:100%;background:#fff;margin:.4rem 0 1rem}
td,th{border-bottom:1px solid #e3e8ed;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef2f5;font-weight:600}code,pre{font-family:ui-monospace,monospace;font-size:12px}
pre{background:#fff;border:1px solid #e3e8ed;padding:.5rem;overflow:auto;max-height:18rem;margin:0}
form.inline{display:inline}fieldset{border:1px solid #d5dce2;background:#fff;margin:.5rem 0}
input,select,button{font:inherit;padding:2px 6px}button{cursor:pointer}
.notice{background:#e6f4ea;border:1px solid #9bd1a8;padding:.4rem .8rem}
.error{background:#fdecea;border:1px solid #f0a8a0;padding:.4rem .8rem}
.muted{color:#66707a}.badge{display:inline-block;padding:0 6px;border-radius:8px;background:#e3e8ed}
.dead,.failed,.attention{background:#fbd9d5}.processed,.delivered,.resolved{background:#d5f0dc}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(12rem,1fr));gap:.3rem 1rem;background:#fff;padding:.6rem;border:1px solid #e3e8ed}`;

export interface PageContext {
  role: string;
  /** The session's CSRF token, echoed by every form; absent for a page read with Basic credentials. */
  csrf: string | undefined;
  /** A session whose role may act (operator or admin): forms are shown only then. */
  canAct: boolean;
  notice?: string | undefined;
  error?: string | undefined;
}

/** The hidden field that carries the session's CSRF token on a console form. */
export function CsrfField({ page }: { page: PageContext }) {
  return <input type="hidden" name={CSRF_FIELD} value={page.csrf ?? ''} />;
}

export function Layout({ title, page, children }: { title: string; page: PageContext; children: Child }) {
  return (
    <>
      {raw('<!doctype html>')}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>{`${title} · ordergate console`}</title>
          <style>{STYLE}</style>
        </head>
        <body>
          <header>
            <b>ordergate</b>
            <a href="/admin/console/orders">Orders</a>
            <a href="/admin/console/events">Events</a>
            <a href="/admin/console/interventions">Interventions</a>
            <a href="/admin/queues">Job dashboard</a>
            <a href="/docs">API reference</a>
            {page.csrf ? (
              <form method="post" action="/admin/console/logout">
                <CsrfField page={page} />
                <span class="muted">{page.role} </span>
                <button type="submit">Sign out</button>
              </form>
            ) : (
              <a style="margin-left:auto" href="/auth/console">
                Sign in to act
              </a>
            )}
          </header>
          <main>
            <h1>{title}</h1>
            {page.notice ? <p class="notice">{page.notice}</p> : ''}
            {page.error ? <p class="error">{page.error}</p> : ''}
            {children}
          </main>
        </body>
      </html>
    </>
  );
}

export function Badge({ value }: { value: string | null | undefined }) {
  return value ? <span class={`badge ${value}`}>{value}</span> : <span class="muted">–</span>;
}

export function when(value: Date | string | null | undefined): string {
  if (!value) return '–';
  const date = typeof value === 'string' ? new Date(value) : value;
  return date.toISOString().replace('T', ' ').slice(0, 19);
}

/** Minor units as the currency's major units (`12345 TRY` → `123.45 TRY`). */
export function money(minor: number, currency: string): string {
  let digits = 2;
  try {
    digits =
      new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ??
      2;
  } catch {
    // An unknown currency code keeps two decimals.
  }
  return `${(minor / 10 ** digits).toFixed(digits)} ${currency}`;
}

export function Json({ value }: { value: unknown }) {
  return <pre>{JSON.stringify(value, null, 2)}</pre>;
}

export interface Paging {
  /** The list's path and the filters it was opened with: every link keeps them. */
  path: string;
  filters: Record<string, string | undefined>;
  page: number;
  limit: number;
  total: number;
  /** The total is an estimate (orders) or capped (events): the page count is then approximate. */
  totalIsApproximate?: boolean;
  noun: string;
}

/** Where a page of a list is: its total, and links to the pages before and after it with the same filters. */
export function Pager({ paging: p }: { paging: Paging }) {
  const link = (n: number) => {
    const params = new URLSearchParams(
      Object.entries({ ...p.filters, page: n > 1 ? String(n) : undefined }).filter(
        (e): e is [string, string] => Boolean(e[1]),
      ),
    );
    const query = params.toString();
    return query ? `${p.path}?${query}` : p.path;
  };
  const pages = Math.max(1, Math.ceil(p.total / p.limit));
  const about = p.totalIsApproximate ? 'about ' : '';
  return (
    <p class="muted pager">
      {about}
      {p.total} {p.noun}, newest first · page {p.page} of {about}
      {pages}{' '}
      {p.page > 1 ? (
        <a rel="prev" href={link(p.page - 1)}>
          ← newer
        </a>
      ) : (
        ''
      )}{' '}
      {p.page * p.limit < p.total ? (
        <a rel="next" href={link(p.page + 1)}>
          older →
        </a>
      ) : (
        ''
      )}
    </p>
  );
}
