/** What the gateway catalogue's operations share. */

export const admin = { security: ['admin' as const] };
