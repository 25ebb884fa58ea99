import type { RoleToken } from './lib/roles.js';

/** The parsed configuration as far as secrets go (the config module calls in here, so no import back). */
type SecretSource = { readonly [key: string]: unknown; ADMIN_TOKENS?: readonly RoleToken[] | undefined };

/** Admin API credentials: long enough that guessing them (even without the rate limit) is hopeless. */
const ADMIN_SECRET_MIN = 32;
/** Provider secrets: shared with one partner each, still never guessable. */
const PROVIDER_SECRET_MIN = 16;

/** Config keys that hold a secret: tokens, secrets, passwords and keys (and their `_NEXT` rotation values). */
const SECRET_KEY = /(TOKEN|SECRET|PASSWORD|_KEY)(_NEXT)?$/;

interface NamedSecret {
  name: string;
  value: string;
  min: number;
}

function secretsOf(config: SecretSource): NamedSecret[] {
  const found: NamedSecret[] = [];
  for (const [name, value] of Object.entries(config)) {
    if (!SECRET_KEY.test(name) || typeof value !== 'string') continue;
    const admin = name.startsWith('ADMIN_') || name.startsWith('METRICS_');
    found.push({ name, value, min: admin ? ADMIN_SECRET_MIN : PROVIDER_SECRET_MIN });
  }
  (config.ADMIN_TOKENS ?? []).forEach(({ token }, index) => {
    found.push({ name: `ADMIN_TOKENS entry ${index + 1}`, value: token, min: ADMIN_SECRET_MIN });
  });
  return found;
}

/**
 * The production rules for secrets, as problems for the config error list: every admin token at least 32
 * characters, every provider secret at least 16, and no value used for two purposes (a leaked partner
 * secret must not also open the admin API, nor one partner's secret sign for another).
 */
export function secretProblems(config: SecretSource): string[] {
  const problems: string[] = [];
  const secrets = secretsOf(config);
  for (const { name, value, min } of secrets) {
    if (value.length < min) problems.push(`${name}: must be at least ${min} characters in production`);
  }
  const seen = new Map<string, string>();
  for (const { name, value } of secrets) {
    const first = seen.get(value);
    if (first) problems.push(`${name}: the same value as ${first}; every secret must serve one purpose`);
    else seen.set(value, name);
  }
  return problems;
}
