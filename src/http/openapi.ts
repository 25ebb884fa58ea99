import type { Hono } from 'hono';
import { z } from 'zod';
import { errorDescriptions, errorStatus } from '../lib/errors.js';
import type { AppEnv } from './env.js';
import { errorEnvelopeSchema } from './input.js';

/**
 * The OpenAPI 3.1 document of the gateway, built from the zod schemas the routes validate with. A route is
 * documented by `documentRoute(app, {...})`, called where the route is registered (or in the gateway's
 * catalogue, src/gateway/openapi-catalogue.ts); `GET /openapi.json` renders every documented operation the
 * app really registered, and a test fails for a registered route without one.
 */

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** How a caller authenticates. A new channel with its own scheme adds it here. */
export const securitySchemes = {
  admin: {
    type: 'http',
    scheme: 'bearer',
    description:
      'The admin token (ADMIN_TOKEN, or the one generated in $DATA_DIR/admin-token outside production).',
  },
  adminBasic: {
    type: 'http',
    scheme: 'basic',
    description: 'For browsers: any user name, the admin token as the password (the job dashboard).',
  },
  yemeksepetiToken: {
    type: 'http',
    scheme: 'bearer',
    description:
      "The category's token Yemeksepeti sends: YEMEKSEPETI_MARKET_TOKEN or YEMEKSEPETI_SU_TOKEN (≥ 16 characters).",
  },
  gofoodSignature: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Go-Signature',
    description:
      'Lowercase hex HMAC-SHA256 of the exact request body, keyed with GOFOOD_NOTIFICATION_SECRET.',
  },
  onebasketSignature: {
    type: 'apiKey',
    in: 'header',
    name: 'X-OneBasket-Signature',
    description:
      '`sha256=` and the hex HMAC-SHA256 of the exact request body, keyed with ONEBASKET_WEBHOOK_SECRET.',
  },
  onebasketProviderToken: {
    type: 'http',
    scheme: 'bearer',
    description: "The provider's own callback token, set when the provider was registered.",
  },
  onebasketApiToken: {
    type: 'http',
    scheme: 'bearer',
    description: "ONEBASKET_API_TOKEN: OneBasket's front end reading its customers' orders.",
  },
  storefrontCustomer: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: "A customer's HS256 JWT keyed with STOREFRONT_JWT_SECRET; `sub` is the customer's id.",
  },
  razorpaySignature: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Razorpay-Signature',
    description: 'Hex HMAC-SHA256 of the exact request body, keyed with RAZORPAY_WEBHOOK_SECRET.',
  },
} as const;
export type SecuritySchemeName = keyof typeof securitySchemes;

type Schema = z.ZodType;
type JsonSchema = Record<string, unknown>;

export interface ResponseDoc {
  description: string;
  /** A zod schema (rendered as the output side) or a JSON Schema; none = no body described. */
  body?: Schema | JsonSchema;
  /** Defaults to application/json. */
  contentType?: string;
}

export interface OperationDoc {
  method: HttpMethod;
  /** The path exactly as registered with Hono (`/admin/orders/:id`). */
  path: string;
  summary: string;
  description?: string;
  /** The group it is listed under in the reference. */
  tag: string;
  /** Any one of these authenticates the call; omitted = no authentication. */
  security?: SecuritySchemeName[];
  /** The path parameters' zod object, as the route validates them. */
  params?: z.ZodObject;
  query?: z.ZodObject;
  headers?: { name: string; required: boolean; description: string; schema?: Schema }[];
  /** A JSON request body, as the route validates it. */
  body?: Schema;
  bodyRequired?: boolean;
  responses: Partial<Record<number, ResponseDoc>>;
  /** Statuses answered in the error envelope (codes per status from src/lib/errors.ts). */
  errors: number[];
}

interface Registry {
  operations: OperationDoc[];
  /** Path prefixes served by something with its own UI (the job dashboard), with the reason. */
  excluded: { prefix: string; reason: string }[];
}

const registries = new WeakMap<object, Registry>();

function registryOf(app: Hono<AppEnv>): Registry {
  let registry = registries.get(app);
  if (!registry) {
    registry = { operations: [], excluded: [] };
    registries.set(app, registry);
  }
  return registry;
}

export function documentRoute(app: Hono<AppEnv>, operation: OperationDoc): void {
  registryOf(app).operations.push(operation);
}

/** Routes under `prefix` are not part of the API (e.g. a dashboard's own pages and XHR endpoints). */
export function excludeFromDocs(app: Hono<AppEnv>, prefix: string, reason: string): void {
  registryOf(app).excluded.push({ prefix, reason });
}

export interface RegisteredRoute {
  method: string;
  path: string;
}

/** The app's own routes that belong in the document: handlers, not middleware, outside excluded prefixes. */
export function publicRoutes(app: Hono<AppEnv>): RegisteredRoute[] {
  const { excluded } = registryOf(app);
  const seen = new Set<string>();
  const routes: RegisteredRoute[] = [];
  for (const route of app.routes) {
    if (route.method === 'ALL') continue;
    if (excluded.some((e) => route.path.startsWith(e.prefix))) continue;
    const key = `${route.method} ${route.path}`;
    if (seen.has(key)) continue;
    seen.add(key);
    routes.push({ method: route.method, path: route.path });
  }
  return routes;
}

/**
 * Registered routes with no documented operation, each as the line that tells its author what to add: the
 * coverage test prints them.
 */
export function undocumentedRoutes(app: Hono<AppEnv>): string[] {
  const documented = new Set(documentedOperations(app).map((op) => `${op.method.toUpperCase()} ${op.path}`));
  return publicRoutes(app)
    .filter((r) => !documented.has(`${r.method} ${r.path}`))
    .map(
      (r) =>
        `${r.method} ${r.path}: call documentRoute(app, { method: '${r.method.toLowerCase()}', path: '${r.path}', tag, summary, security, params/query/body (the zod schemas the route validates with), responses, errors }) from src/http/openapi.ts next to where the route is registered (or add it to src/gateway/openapi-catalogue.ts)`,
    );
}

export function documentedOperations(app: Hono<AppEnv>): readonly OperationDoc[] {
  return registryOf(app).operations;
}

/** Hono's `/orders/:id` (optionally `:id{regex}`) as OpenAPI's `/orders/{id}`. */
export function openApiPath(honoPath: string): string {
  return honoPath.replace(/:(\w+)(\{[^}]*\})?/g, '{$1}');
}

function jsonSchema(schema: Schema | JsonSchema, io: 'input' | 'output'): JsonSchema {
  if (!(schema instanceof z.ZodType)) return schema;
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' });
  return rest;
}

function parametersOf(where: 'path' | 'query', schema: z.ZodObject | undefined) {
  if (!schema) return [];
  const object = jsonSchema(schema, 'input');
  const properties = (object.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((object.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...propertySchema } = property;
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: propertySchema,
    };
  });
}

const errorCodesByStatus = new Map<number, string[]>();
for (const [code, status] of Object.entries(errorStatus)) {
  errorCodesByStatus.set(status, [...(errorCodesByStatus.get(status) ?? []), code]);
}

function errorResponse(status: number) {
  const codes =
    status === 409 ? [...(errorCodesByStatus.get(409) ?? []), 'rule_<name>'] : errorCodesByStatus.get(status);
  const described = (codes ?? ['internal']).map((code) =>
    code in errorDescriptions
      ? `\`${code}\`: ${errorDescriptions[code as keyof typeof errorDescriptions]}`
      : `\`${code}\`: a business rule refused the action`,
  );
  return {
    description: described.join('; '),
    ...(status === 503 || status === 429
      ? { headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } } }
      : {}),
    content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorEnvelope' } } },
  };
}

export interface DocumentInfo {
  title: string;
  version: string;
  description: string;
}

/** The OpenAPI 3.1 document of every documented operation the app registered. */
export function openApiDocument(app: Hono<AppEnv>, info: DocumentInfo): JsonSchema {
  const registered = new Set(publicRoutes(app).map((r) => `${r.method} ${r.path}`));
  const paths: Record<string, Record<string, unknown>> = {};
  const tags = new Set<string>();
  for (const op of documentedOperations(app)) {
    if (!registered.has(`${op.method.toUpperCase()} ${op.path}`)) continue;
    tags.add(op.tag);
    const parameters = [
      ...parametersOf('path', op.params),
      ...parametersOf('query', op.query),
      ...(op.headers ?? []).map((h) => ({
        name: h.name,
        in: 'header',
        required: h.required,
        description: h.description,
        schema: h.schema ? jsonSchema(h.schema, 'input') : { type: 'string' },
      })),
    ];
    const responses: Record<string, unknown> = {};
    for (const [status, response] of Object.entries(op.responses)) {
      if (!response) continue;
      responses[status] = {
        description: response.description,
        ...(response.body
          ? {
              content: {
                [response.contentType ?? 'application/json']: { schema: jsonSchema(response.body, 'output') },
              },
            }
          : {}),
      };
    }
    for (const status of op.errors) responses[String(status)] = errorResponse(status);
    const pathItem = paths[openApiPath(op.path)] ?? {};
    pathItem[op.method] = {
      operationId: `${op.method}${openApiPath(op.path).replace(/[^A-Za-z0-9]+(\w)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      tags: [op.tag],
      security: (op.security ?? []).map((name) => ({ [name]: [] })),
      ...(parameters.length ? { parameters } : {}),
      ...(op.body
        ? {
            requestBody: {
              required: op.bodyRequired ?? true,
              content: { 'application/json': { schema: jsonSchema(op.body, 'input') } },
            },
          }
        : {}),
      responses,
    };
    paths[openApiPath(op.path)] = pathItem;
  }
  return {
    openapi: '3.1.0',
    info,
    tags: [...tags].sort().map((name) => ({ name })),
    paths,
    components: { securitySchemes, schemas: { ErrorEnvelope: jsonSchema(errorEnvelopeSchema, 'output') } },
  };
}
