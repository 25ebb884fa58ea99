import { z } from 'zod';

/**
 * An optional environment variable: trimmed, unset or blank means undefined, anything else must pass
 * `schema` (so `FOO=` in a .env file switches a feature off instead of failing validation). Every token and
 * secret goes through it: a value read from a file or pasted ends in a newline or space, and taken literally
 * it would fail every authentication.
 */
export function optionalEnv<T extends z.ZodType<unknown, string>>(schema: T) {
  return z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .pipe(schema.optional());
}
