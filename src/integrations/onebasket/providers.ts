/** The provider registry: where each provider's system is, and the token it calls us back with. */
import { timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import { z } from 'zod';
import type { Config } from '../../config.js';
import type { Executor } from '../../db/index.js';
import type { OnebasketProvider } from '../../db/schema.js';
import { sha256Hex } from '../../lib/crypto.js';
import { AppError } from '../../lib/errors.js';
import type { ProviderTarget } from './client.js';
import type { ProviderInput } from './schema.js';

export async function upsertProvider(
  db: Executor,
  id: string,
  input: ProviderInput,
): Promise<OnebasketProvider> {
  const values = {
    name: input.name,
    base_url: input.baseUrl,
    callback_token_hash: sha256Hex(input.callbackToken),
    supports_callbacks: input.supportsCallbacks,
  };
  return db
    .insertInto('onebasket_providers')
    .values({ id, ...values, updated_at: sql`now()` })
    .onConflict((oc) => oc.column('id').doUpdateSet({ ...values, updated_at: sql`now()` }))
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function findProvider(db: Executor, id: string): Promise<OnebasketProvider | undefined> {
  return db.selectFrom('onebasket_providers').selectAll().where('id', '=', id).executeTakeFirst();
}

// Compared against when the provider is unknown, so an unknown id costs the same as a wrong token.
const UNKNOWN_PROVIDER_HASH = sha256Hex('no provider has this token');

/**
 * Whether `token` is the callback token of `provider`, compared in constant time over digests. Another
 * provider's token does not match: each provider has its own.
 */
export function callbackTokenMatches(
  provider: OnebasketProvider | undefined,
  token: string | undefined,
): boolean {
  const expected = Buffer.from(provider?.callback_token_hash ?? UNKNOWN_PROVIDER_HASH, 'hex');
  const given = Buffer.from(sha256Hex(token ?? ''), 'hex');
  return timingSafeEqual(expected, given) && provider !== undefined && token !== undefined;
}

/** A registered provider as the admin API answers it (never its callback token, nor the token's hash). */
export const providerDtoSchema = z.object({
  providerId: z.string(),
  name: z.string(),
  baseUrl: z.string(),
  supportsCallbacks: z.boolean(),
  updatedAt: z.iso.datetime(),
});

export function providerDto(row: OnebasketProvider): z.output<typeof providerDtoSchema> {
  return {
    providerId: row.id,
    name: row.name,
    baseUrl: row.base_url,
    supportsCallbacks: row.supports_callbacks,
    updatedAt: row.updated_at.toISOString(),
  };
}

/** The registered provider's system; a provider nobody registered is a permanent failure (a person must). */
export async function providerTarget(
  db: Executor,
  config: Config,
  providerId: string,
): Promise<ProviderTarget> {
  const provider = await findProvider(db, providerId);
  if (!provider) {
    throw new AppError(
      'provider_rejected',
      `provider ${providerId} is not registered (PUT /admin/providers/${providerId})`,
      {
        retryable: false,
      },
    );
  }
  return { id: provider.id, baseUrl: provider.base_url, timeoutMs: config.ONEBASKET_PROVIDER_TIMEOUT_MS };
}
