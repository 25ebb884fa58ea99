/**
 * Money is integers in minor units. Providers send decimal amounts (12.5, "12.50"); they are converted by
 * decimal string arithmetic. A JSON number with no more decimals than the currency has takes a float fast path
 * that is used only where it provably gives the same integer (see `toMinorUnits`).
 */
const minorUnitDigits: Readonly<Record<string, number>> = {
  BHD: 3,
  JOD: 3,
  KWD: 3,
  OMR: 3,
  TND: 3,
  JPY: 0,
  KRW: 0,
  VND: 0,
  CLP: 0,
  ISK: 0,
  UGX: 0,
};

export function currencyExponent(currency: string): number {
  return minorUnitDigits[currency.toUpperCase()] ?? 2;
}

/** Below this many minor units (10^13) a 15-digit decimal has room for the float fast path's error bound. */
const FAST_PATH_LIMIT = 1e13;

/**
 * Converts a decimal amount in major units to integer minor units, rounding half away from zero.
 *
 * A number such as 12.5 or 0.1 + 0.2 that is, up to binary noise, a whole count of minor units is converted by
 * one multiplication: the product must lie within one unit in the last place of an integer N below 10^13. Then
 * the amount is within ~3.3e-16 (relative) of N / 10^digits, closer than half a step of the 15 significant
 * digits the decimal path reads it at, so both give N (`money.test.ts` checks them against each other). Any
 * other number, and every string, takes the decimal path.
 */
export function toMinorUnits(amount: number | string, currency: string): number {
  const digits = currencyExponent(currency);
  if (typeof amount === 'number') {
    const scaled = amount * 10 ** digits;
    const rounded = Math.round(scaled);
    if (
      Math.abs(rounded) < FAST_PATH_LIMIT &&
      Math.abs(scaled - rounded) <= Math.abs(scaled) * Number.EPSILON
    ) {
      return rounded + 0; // not -0
    }
  }
  return decimalToMinorUnits(amount, digits);
}

/** The decimal path of `toMinorUnits`: string arithmetic on the amount's digits. Exported for its tests. */
export function decimalToMinorUnits(amount: number | string, digits: number): number {
  const text = typeof amount === 'number' ? numberToPlainString(amount) : amount.trim();
  const match = /^([+-])?(\d*)(?:\.(\d*))?$/.exec(text);
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) {
    throw new RangeError(`not a decimal amount: ${JSON.stringify(amount)}`);
  }
  const negative = match[1] === '-';
  const whole = match[2] || '0';
  const fraction = match[3] ?? '';
  const kept = fraction.slice(0, digits).padEnd(digits, '0');
  const roundDigit = Number(fraction.charAt(digits) || '0');
  let minor = BigInt(whole) * 10n ** BigInt(digits) + BigInt(kept || '0');
  if (roundDigit >= 5) minor += 1n;
  const value = Number(negative ? -minor : minor);
  if (!Number.isSafeInteger(value)) throw new RangeError(`amount out of range: ${JSON.stringify(amount)}`);
  return value;
}

function numberToPlainString(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`not a finite amount: ${value}`);
  // toPrecision(15) strips binary noise (0.1 + 0.2) without losing any decimal a provider sends.
  const text = Number(value.toPrecision(15)).toString();
  if (!/e/i.test(text)) return text;
  return value.toFixed(20).replace(/0+$/, '').replace(/\.$/, '');
}

/** Line total for a weight-priced item: price per kg × grams / 1000, rounded half up. */
export function weightLineTotal(unitPricePerKg: number, grams: number): number {
  return Math.round((unitPricePerKg * grams) / 1000);
}

export function sumMinor(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

/** Minor units as a decimal in the currency's major unit, exactly (27792 TRY → "277.92", 500 JPY → "500"). */
export function formatMinorUnits(amount: number, currency: string): string {
  const digits = currencyExponent(currency);
  const sign = amount < 0 ? '-' : '';
  const text = Math.abs(amount)
    .toString()
    .padStart(digits + 1, '0');
  return digits === 0 ? `${sign}${text}` : `${sign}${text.slice(0, -digits)}.${text.slice(-digits)}`;
}
