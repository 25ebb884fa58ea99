/** Column types shared by the table definitions. */
import type { ColumnType } from 'kysely';

export type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
export type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
/** jsonb: objects in, objects out. */
export type Json<T = Record<string, unknown>> = ColumnType<T, T | string | undefined, T | string>;
/** Money and other bigint columns, read as JS numbers (type parser installed in db/index.ts). */
export type BigIntColumn = ColumnType<number, number | bigint | undefined, number | bigint>;
export type IdentityColumn = ColumnType<number, never, never>;
