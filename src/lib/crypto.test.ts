import { describe, expect, it } from 'vitest';
import { matchSecret } from './crypto.js';

describe('matchSecret', () => {
  const market = 'market-token-0123456789abcdef';
  const su = 'su-token-0123456789abcdefabcd';

  it('names the configured secret the given one equals', () => {
    expect(matchSecret(market, [market, su])).toBe(0);
    expect(matchSecret(su, [market, su])).toBe(1);
  });

  it.each([
    ['a wrong secret', 'not-the-token-at-all-00000000'],
    ['a prefix of a secret', market.slice(0, -1)],
    ['a secret with more after it', `${market}x`],
    ['the empty string', ''],
  ])('matches nothing for %s', (_name, given) => {
    expect(matchSecret(given, [market, su])).toBe(-1);
  });

  it('skips secrets that are not configured', () => {
    expect(matchSecret(su, [undefined, su])).toBe(1);
    expect(matchSecret(su, [undefined, undefined])).toBe(-1);
  });

  it('names the first of two equal configured secrets', () => {
    expect(matchSecret(market, [market, market])).toBe(0);
  });

  it('still matches after many different secrets were seen', () => {
    for (let i = 0; i < 200; i++) matchSecret(market, [`other-${i}`]);
    expect(matchSecret(market, [su, market])).toBe(1);
  });
});
