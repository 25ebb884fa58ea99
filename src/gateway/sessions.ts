import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { sha256Hex } from '../lib/crypto.js';
import { adminRoles } from '../lib/roles.js';

/** The session cookie: HttpOnly, so page scripts never see it. */
export const SESSION_COOKIE = 'og_session';
/**
 * The CSRF token, readable by the page so it can echo it in a header (`X-CSRF-Token`, or `X-XSRF-TOKEN`,
 * which the job dashboard's HTTP client sends from this cookie by itself). A cross-site page cannot read it.
 */
export const CSRF_COOKIE = 'XSRF-TOKEN';
export const CSRF_HEADERS = ['x-csrf-token', 'x-xsrf-token'] as const;
/** The same token as a field of a plain HTML form (the operator console's forms), which sets no headers. */
export const CSRF_FIELD = '_csrf';

const sessionSchema = z.object({
  tokenId: z.string().min(1),
  role: z.enum(adminRoles),
  csrfToken: z.string().min(32),
  expiresAt: z.number().int(),
});
export type Session = z.infer<typeof sessionSchema>;

export interface SessionStore {
  create(input: Pick<Session, 'tokenId' | 'role'>): Promise<{ id: string; session: Session }>;
  read(id: string): Promise<Session | undefined>;
  remove(id: string): Promise<void>;
}

const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/**
 * Sessions live in Redis, shared by every gateway process, under the queue prefix. The key is a hash of the
 * session id, so what Redis holds cannot be replayed as a cookie; Redis expires them.
 */
export function createSessionStore(redis: Redis, prefix: string, ttlMs: number): SessionStore {
  const key = (id: string) => `${prefix}:session:${sha256Hex(id)}`;
  return {
    async create({ tokenId, role }) {
      const id = randomBytes(32).toString('base64url');
      const session: Session = {
        tokenId,
        role,
        csrfToken: randomBytes(32).toString('base64url'),
        expiresAt: Date.now() + ttlMs,
      };
      await redis.set(key(id), JSON.stringify(session), 'PX', ttlMs);
      return { id, session };
    },
    async read(id) {
      if (!SESSION_ID.test(id)) return undefined;
      const stored = await redis.get(key(id));
      if (!stored) return undefined;
      let json: unknown;
      try {
        json = JSON.parse(stored) as unknown;
      } catch {
        return undefined;
      }
      const parsed = sessionSchema.safeParse(json);
      return parsed.success && parsed.data.expiresAt > Date.now() ? parsed.data : undefined;
    },
    async remove(id) {
      if (SESSION_ID.test(id)) await redis.del(key(id));
    },
  };
}
