/**
 * Who may do what on the admin API. `viewer` reads; `operator` acts on orders (actions, replays, recovery,
 * reconciliation runs, retrying failed jobs); `admin` also changes configuration (warehouses, outlets).
 * `metrics` is the Prometheus scraper's own credential: it reads the metrics endpoint and nothing else.
 */
export const adminRoles = ['viewer', 'operator', 'admin'] as const;
export type AdminRole = (typeof adminRoles)[number];
export type Role = AdminRole | 'metrics';

const rank: Record<Role, number> = { metrics: 0, viewer: 1, operator: 2, admin: 3 };

/** Whether `held` covers `needed` (every role covers the ones below it). */
export function roleCovers(held: Role, needed: Role): boolean {
  return rank[held] >= rank[needed];
}

export function isAdminRole(value: string): value is AdminRole {
  return (adminRoles as readonly string[]).includes(value);
}

export interface RoleToken {
  token: string;
  role: AdminRole;
}

/**
 * `ADMIN_TOKENS`: `token:role` entries separated by commas (the role follows the last colon, so a token may
 * contain colons). Returns the entries, or the problems found (never the token text).
 */
export function parseRoleTokens(value: string): { tokens: RoleToken[]; problems: string[] } {
  const tokens: RoleToken[] = [];
  const problems: string[] = [];
  value
    .split(',')
    .map((part) => part.trim())
    .forEach((item, index) => {
      if (!item) return;
      const at = item.lastIndexOf(':');
      const token = at > 0 ? item.slice(0, at).trim() : '';
      const role = at > 0 ? item.slice(at + 1).trim() : '';
      if (!token || !isAdminRole(role)) {
        problems.push(`entry ${index + 1}: expected token:role with a role of ${adminRoles.join(', ')}`);
      } else if (token.length < 16) {
        problems.push(`entry ${index + 1}: the token must be at least 16 characters`);
      } else {
        tokens.push({ token, role });
      }
    });
  return { tokens, problems };
}

/** Who made an admin request: the role of the credential used and a fingerprint naming that credential. */
export interface Principal {
  role: Role;
  /** The first hex digits of the token's SHA-256: names the token in logs and timelines, reveals nothing. */
  tokenId: string;
  via: 'bearer' | 'basic' | 'session';
}

/** The timeline's `actor` for an admin request: `admin:<role>:<token fingerprint>`. */
export function adminActor(principal: Principal | undefined): string {
  return principal ? `admin:${principal.role}:${principal.tokenId}` : 'admin';
}
