/**
 * What a failed provider call keeps of the provider's answer: providers echo requests back (customer names,
 * phones, addresses), so only known error fields survive, cleaned of secrets and personal data.
 */

/** Characters of the summary of a provider's response body kept on a ProviderError. */
export const RESPONSE_BODY_LIMIT = 1024;
/** Characters kept of one error field. */
export const ERROR_FIELD_LIMIT = 200;

/**
 * The fields of a provider's error body worth keeping: codes and messages, also inside `error` / `errors`.
 * Everything else is dropped, since providers echo the request back (customer names, phones, addresses).
 */
const errorFields = new Set([
  'code',
  'errorCode',
  'error_code',
  'error',
  'errors',
  'error_description',
  'message',
  'status',
  'title',
  'detail',
  'reason',
]);

const emailPattern = /[^\s@"'<>()]+@[^\s@"'<>()]+\.[^\s@"'<>()]+/g;
/** A run of 7 or more digits, possibly split by spaces, dots, dashes or brackets: a phone or card number. */
const longNumberPattern = /\+?\d[\d\s().-]*\d/g;

/** One kept string: known secrets, e-mail addresses and phone-like numbers removed, then truncated. */
function cleanErrorText(value: string, secrets: readonly string[]): string {
  let out = value;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  // Cut before the patterns run, so a huge field cannot make them slow.
  out = out
    .slice(0, ERROR_FIELD_LIMIT * 2)
    .replace(emailPattern, '[email]')
    .replace(longNumberPattern, (run) => (run.replace(/\D/g, '').length >= 7 ? '[number]' : run));
  return out.length > ERROR_FIELD_LIMIT ? `${out.slice(0, ERROR_FIELD_LIMIT)}…` : out;
}

/** The allow-listed part of a parsed error body, or undefined when nothing in it is kept. */
function pickErrorFields(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (typeof value === 'string') return cleanErrorText(value, secrets);
  // Small integers are status and error codes; longer ones could be phone numbers or ids.
  if (typeof value === 'number')
    return Number.isInteger(value) && Math.abs(value) < 1_000_000 ? value : undefined;
  if (depth >= 3 || value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    const items = value
      .slice(0, 5)
      .map((item) => pickErrorFields(item, secrets, depth + 1))
      .filter((item) => item !== undefined);
    return items.length > 0 ? items : undefined;
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (!errorFields.has(key)) continue;
    const kept = pickErrorFields(item, secrets, depth + 1);
    if (kept !== undefined) out[key] = kept;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * What a ProviderError keeps of a response body: the known error fields of a JSON body (strings cleaned and
 * truncated, small integers), as JSON; of anything else only its size. Undefined for an empty body.
 */
export function summarizeErrorBody(text: string, secrets: readonly string[] = []): string | undefined {
  if (text.trim() === '') return undefined;
  const bytes = Buffer.byteLength(text);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return `non-JSON body (${bytes} bytes)`;
  }
  const kept = typeof parsed === 'object' ? pickErrorFields(parsed, secrets) : undefined;
  if (kept === undefined) return `JSON body without known error fields (${bytes} bytes)`;
  const out = JSON.stringify(kept);
  return out.length > RESPONSE_BODY_LIMIT ? `${out.slice(0, RESPONSE_BODY_LIMIT)}…[truncated]` : out;
}
