import type { Hono } from 'hono';
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { AppEnv } from '../../http/env.js';
import { documentRoute, openApiDocument } from '../../http/openapi.js';

const INFO = {
  title: 'ordergate',
  version: '0.1.0',
  description:
    'Order integration gateway: provider pushes and webhooks are stored in an inbox and answered at once; workers turn them into orders. Every error answer is the `ErrorEnvelope`; amounts are integers in minor units unless a channel says otherwise.',
};

type Json = Record<string, unknown>;

/**
 * `GET /openapi.json` (OpenAPI 3.1, built from the routes' zod schemas) and `GET /docs`, its reference page:
 * server-rendered HTML with its styles inline, so it loads nothing from elsewhere (operators run this in
 * closed networks). Register last: the document lists the routes the app holds when first asked.
 */
export function registerApiDocs(app: Hono<AppEnv>): void {
  let document: Json | undefined;
  const current = () => {
    document ??= openApiDocument(app, INFO);
    return document;
  };
  app.get('/openapi.json', (c) => c.json(current()));
  app.get('/docs', (c) => c.html(renderReference(current())));
  documentRoute(app, {
    method: 'get',
    path: '/openapi.json',
    tag: 'reference',
    summary: 'This OpenAPI 3.1 document',
    responses: { 200: { description: 'The document', body: { type: 'object' } } },
    errors: [],
  });
  documentRoute(app, {
    method: 'get',
    path: '/docs',
    tag: 'reference',
    summary: 'The API reference, rendered from the document',
    responses: { 200: { description: 'HTML', contentType: 'text/html', body: { type: 'string' } } },
    errors: [],
  });
}

const STYLE = `
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d232a;background:#fafbfc}
header{background:#1d232a;color:#fff;padding:1.2rem 2rem}header p{max-width:60rem;color:#cfd6dd}
main{display:flex;gap:2rem;padding:1rem 2rem}nav{min-width:16rem;position:sticky;top:1rem;align-self:flex-start}
nav a{display:block;color:#1d232a;text-decoration:none;font-size:13px;padding:1px 0}nav h3{margin:1rem 0 .2rem}
section.op{background:#fff;border:1px solid #dde3e8;border-radius:6px;margin:0 0 1rem;padding:.6rem 1rem;max-width:64rem}
.m{display:inline-block;min-width:4rem;font-weight:700;text-transform:uppercase;font-family:monospace}
.get{color:#1b6fb3}.post{color:#198754}.put{color:#b36b00}.patch{color:#7a3fb3}.delete{color:#b3261e}
code,pre{font-family:ui-monospace,monospace;font-size:13px}pre{background:#f3f5f7;padding:.6rem;overflow:auto;max-height:24rem}
table{border-collapse:collapse;font-size:13px}td,th{border-bottom:1px solid #e6eaee;padding:2px 10px 2px 0;text-align:left;vertical-align:top}
.auth{font-size:12px;color:#555}summary{cursor:pointer;font-weight:600}`;

function schemaBlock(schema: unknown): HtmlEscapedString | Promise<HtmlEscapedString> {
  return html`<details><summary>schema</summary><pre>${JSON.stringify(schema, null, 2)}</pre></details>`;
}

function operationHtml(path: string, method: string, op: Json, schemes: Json) {
  const params = (op.parameters ?? []) as Json[];
  const security = ((op.security ?? []) as Json[]).flatMap((s) => Object.keys(s));
  const body = (op.requestBody as Json | undefined)?.content as
    | Record<string, { schema: unknown }>
    | undefined;
  const responses = (op.responses ?? {}) as Record<string, Json>;
  const anchor = `${method}-${path}`.replace(/[^\w-]+/g, '-');
  return html`<section class="op" id="${anchor}">
    <h3><span class="m ${method}">${method}</span> <code>${path}</code></h3>
    <p>${String(op.summary ?? '')}</p>
    ${op.description ? html`<p>${String(op.description)}</p>` : ''}
    <p class="auth">Authentication: ${
      security.length
        ? security
            .map((s) => `${s} (${String((schemes[s] as Json | undefined)?.description ?? '')})`)
            .join(' or ')
        : 'none'
    }</p>
    ${
      params.length
        ? html`<table><tr><th>parameter</th><th>in</th><th>required</th><th>schema</th></tr>${params.map(
            (p) =>
              html`<tr><td><code>${String(p.name)}</code></td><td>${String(p.in)}</td><td>${
                p.required ? 'yes' : 'no'
              }</td><td><code>${JSON.stringify(p.schema)}</code>${p.description ? html`<br />${String(p.description)}` : ''}</td></tr>`,
          )}</table>`
        : ''
    }
    ${body?.['application/json'] ? html`<h4>Request body (JSON)</h4>${schemaBlock(body['application/json'].schema)}` : ''}
    <h4>Responses</h4>
    <table>${Object.entries(responses).map(([status, r]) => {
      const content = r.content as Record<string, { schema: unknown }> | undefined;
      const schema = content ? Object.values(content)[0]?.schema : undefined;
      return html`<tr><td><b>${status}</b></td><td>${String(r.description ?? '')}${
        schema && !(schema as Json).$ref ? schemaBlock(schema) : ''
      }</td></tr>`;
    })}</table>
  </section>`;
}

export function renderReference(doc: Json) {
  const info = doc.info as Json;
  const paths = doc.paths as Record<string, Record<string, Json>>;
  const components = doc.components as Json;
  const schemes = components.securitySchemes as Json;
  const byTag = new Map<string, [string, string, Json][]>();
  for (const [path, item] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(item)) {
      const tag = ((op.tags as string[] | undefined) ?? ['other'])[0] ?? 'other';
      byTag.set(tag, [...(byTag.get(tag) ?? []), [path, method, op]]);
    }
  }
  const tags = [...byTag.keys()].sort();
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8" /><title>${String(info.title)} API reference</title>
<meta name="viewport" content="width=device-width, initial-scale=1" /><style>${raw(STYLE)}</style></head>
<body><header><h1>${String(info.title)} API reference <small>${String(info.version)}</small></h1>
<p>${String(info.description)}</p><p>Machine-readable: <a style="color:#9fd0ff" href="/openapi.json">/openapi.json</a> (OpenAPI 3.1)</p></header>
<main><nav>${tags.map(
    (tag) =>
      html`<h3>${tag}</h3>${(byTag.get(tag) ?? []).map(
        ([path, method]) =>
          html`<a href="#${`${method}-${path}`.replace(/[^\w-]+/g, '-')}"><span class="m ${method}">${method}</span> ${path}</a>`,
      )}`,
  )}</nav>
<div>${tags.map(
    (tag) =>
      html`<h2>${tag}</h2>${(byTag.get(tag) ?? []).map(([path, method, op]) => operationHtml(path, method, op, schemes))}`,
  )}
<h2>Error envelope</h2><p>Every error answer, whatever the route:</p>${schemaBlock((components.schemas as Json).ErrorEnvelope)}
</div></main></body></html>`;
}
