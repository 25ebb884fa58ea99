import { z } from 'zod';

/**
 * An optional environment variable: trimmed, unset or blank means undefined, anything else must pass
 * `schema` (so `FOO=` in a .env file switches a feature off instead of failing validation).
 */
export function optionalEnv<T extends z.ZodType<unknown, string>>(schema: T) {
  return z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .pipe(schema.optional());
}
