import { expect } from 'vitest';
import { z } from 'zod';

type Json = Record<string, unknown>;

/** The served OpenAPI document, read to check real answers against the schemas it documents. */
export interface ServedDocument {
  document: Json;
  /** The JSON Schema documented for an answer, its `$ref` (the error envelope) resolved. */
  documented(method: string, path: string, status: number): Json;
  /** The problems of a real answer against the schema the document gives for it ([] when it conforms). */
  problems(schema: Json, body: unknown): string[];
  /** Asserts the answer has the status and conforms to the schema documented for that status. */
  expectDocumented(method: string, path: string, res: Response, status: number): Promise<Json>;
  /** The answers (`method path status`) documented as a bare object instead of a schema of their fields. */
  undescribed(answers: readonly (readonly [string, string, readonly number[]])[]): string[];
}

/** A schema that says what the answer holds: its own fields (or alternatives), not a bare `object`. */
const describesItsFields = (schema: Json) =>
  Object.keys((schema.properties as Json | undefined) ?? {}).length > 0 ||
  (Array.isArray(schema.anyOf) && schema.anyOf.length > 0) ||
  (Array.isArray(schema.oneOf) && schema.oneOf.length > 0);

export async function readServedDocument(baseUrl: string): Promise<ServedDocument> {
  const document = (await (await fetch(`${baseUrl}/openapi.json`)).json()) as Json;
  const documented = (method: string, path: string, status: number): Json => {
    const paths = document.paths as Record<string, Record<string, { responses: Record<string, Json> }>>;
    const response = paths[path]?.[method]?.responses[String(status)];
    const content = response?.content as Record<string, { schema: Json }> | undefined;
    const schema = content?.['application/json']?.schema;
    if (!schema) throw new Error(`${method} ${path} documents no JSON answer for ${status}`);
    const ref = schema.$ref;
    if (typeof ref !== 'string') return schema;
    const components = document.components as { schemas: Record<string, Json> };
    const target = components.schemas[ref.replace('#/components/schemas/', '')];
    if (!target) throw new Error(`${ref} is not in the document`);
    return target;
  };
  const problems = (schema: Json, body: unknown) => {
    const parsed = z.fromJSONSchema(schema).safeParse(body);
    return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  const expectDocumented = async (method: string, path: string, res: Response, status: number) => {
    const text = await res.text();
    expect(res.status, `${method} ${path}: ${text}`).toBe(status);
    const body = JSON.parse(text) as Json;
    expect(problems(documented(method, path, status), body), `${method} ${path} ${status}`).toEqual([]);
    return body;
  };
  const undescribed = (answers: readonly (readonly [string, string, readonly number[]])[]) =>
    answers.flatMap(([method, path, statuses]) =>
      statuses
        .filter((status) => !describesItsFields(documented(method, path, status)))
        .map((status) => `${method} ${path} ${status}`),
    );
  return { document, documented, problems, expectDocumented, undescribed };
}
