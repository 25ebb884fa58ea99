/** What the gateway catalogue's operations share. */

/** An answer described by its response's description alone (a route whose body is not yet a schema). */
export const anObject = { type: 'object' };

export const admin = { security: ['admin' as const] };
