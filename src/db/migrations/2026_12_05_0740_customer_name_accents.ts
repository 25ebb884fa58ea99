import { type Kysely, sql } from 'kysely';

// Frozen: this migration never imports application types.

// Customer service types names without their accents: "cagri" for Çağrı, "sukru" for Şükrü. The admin search
// now compares names through fold_for_search(), on both sides and through an index of that expression, which
// replaces the index of the older folding (lower case, dotless ı as i) that no search reads any more.
//
// fold_for_search() replaces every accented letter below by its base letter (Turkish ç ğ ı İ ö ş ü, the
// Latin-1 accents, the common Central European ones; both cases), drops the combining accents a decomposed
// name carries (e + U+0301: translate() deletes what it has no replacement for), then lowers the case. Letters
// are replaced before lower() so that İ is i whatever the locale (lower() leaves it as it is under C, and
// makes it i plus a combining dot under ICU). It is a PL/pgSQL function rather than an inlined expression so
// that the planner prices it as the costly call it is (COST 100, not one operator): priced as one operator,
// it chose to fold every customer's name over reading the trigram index: 0.13 s for 20,000 names.
// An index depends on its body: a new folding is a new function and a new index, never a replaced body.
const ACCENTED =
  'ÀÁÂÃÄÅĀĂĄàáâãäåāăąÇĆČçćčĎĐďđÈÉÊËĒĖĘĚèéêëēėęěĞğÌÍÎÏĪĮİìíîïīįıŁłÑŃŇñńňÒÓÔÕÖØŌŐòóôõöøōőŘřŚŞŠȘśşšșŢŤȚţťțÙÚÛÜŪŮŰŲùúûüūůűųÝŸýÿŹŻŽźżž';
// Grave, acute, circumflex, tilde, macron, breve, dot above, diaeresis, ring, double acute, caron, comma
// below, cedilla, ogonek.
const COMBINING = '\u0300\u0301\u0302\u0303\u0304\u0306\u0307\u0308\u030A\u030B\u030C\u0326\u0327\u0328';
const BASE =
  'aaaaaaaaaaaaaaaaaaccccccddddeeeeeeeeeeeeeeeeggiiiiiiiiiiiiiillnnnnnnoooooooooooooooorrssssssssttttttuuuuuuuuuuuuuuuuyyyyzzzzzz';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function fold_for_search(value text) returns text
    language plpgsql immutable strict parallel safe cost 100 as $$
    begin
      return lower(translate(value, ${sql.lit(ACCENTED + COMBINING)}, ${sql.lit(BASE)}));
    end
    $$`.execute(db);
  await sql`create index if not exists customers_name_unaccented_trgm on customers
    using gin (fold_for_search(name) gin_trgm_ops)`.execute(db);
  await sql`drop index if exists customers_name_folded_trgm`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`create index if not exists customers_name_folded_trgm on customers
    using gin ((translate(lower(name), 'ı', 'i')) gin_trgm_ops)`.execute(db);
  await sql`drop index if exists customers_name_unaccented_trgm`.execute(db);
  await sql`drop function if exists fold_for_search(text)`.execute(db);
}
