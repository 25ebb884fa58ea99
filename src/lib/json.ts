import { AppError } from './errors.js';

/** Deeper than any provider payload; deep enough that stringifying and Postgres never hit their own limits. */
export const MAX_JSON_DEPTH = 64;

// NUL and unpaired surrogates parse as JSON but Postgres cannot hold them as text (a `json` column stores the
// escape, but `->>` or a jsonb copy of the value then fails), and a very deep value overflows
// JSON.stringify's stack: such bodies are refused as malformed input before anything is stored.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const isStorable = (s: string) => !s.includes('\u0000') && !LONE_SURROGATE.test(s);

/** Throws `malformed_json` when a parsed body nests too deep or holds strings Postgres cannot store. */
export function assertStorableJson(value: unknown, maxDepth = MAX_JSON_DEPTH): void {
  // Iterative: the point is to survive inputs that would overflow a recursive walk.
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { value: current, depth } = next;
    if (typeof current === 'string') {
      if (!isStorable(current)) {
        throw new AppError('malformed_json', 'JSON strings must not contain NUL or unpaired surrogates');
      }
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    if (depth >= maxDepth) {
      throw new AppError('malformed_json', `JSON nests deeper than ${maxDepth} levels`);
    }
    if (Array.isArray(current)) {
      for (const item of current) stack.push({ value: item, depth: depth + 1 });
    } else {
      for (const [key, item] of Object.entries(current)) {
        stack.push({ value: key, depth: depth + 1 }, { value: item, depth: depth + 1 });
      }
    }
  }
}
