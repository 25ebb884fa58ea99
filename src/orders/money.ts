/**
 * Money is integers in minor units. Providers send decimal amounts (12.5, "12.50"); they are converted by
 * decimal string arithmetic, never by multiplying floats.
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

/** Converts a decimal amount in major units to integer minor units, rounding half away from zero. */
export function toMinorUnits(amount: number | string, currency: string): number {
  const digits = currencyExponent(currency);
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
