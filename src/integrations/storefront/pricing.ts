/**
 * The storefront's pricing engine: pure, integer minor units throughout.
 *
 * Rounding, in the order it is applied:
 * - a line is `price × quantity` (exact);
 * - a percent discount is `floor(subtotal × percent / 100)`: never more than the percentage; a fixed discount
 *   is its value, at most the subtotal;
 * - the discount is shared across the lines in proportion to their amounts (each share rounded down, the
 *   remaining minor units to the lines with the largest remainders, earlier lines first on a tie), so the
 *   shares add up to the discount exactly;
 * - GST is levied per line on its amount after its share of the discount, rounded half up to a minor unit;
 *   the order's GST is the sum of its lines' GST;
 * - shipping is the configured fee, free from the configured amount (subtotal after discount), and carries
 *   no GST;
 * - total = subtotal − discount + GST + shipping.
 */
import { sha256Hex } from '../../lib/crypto.js';

export const PRICING_ENGINE_VERSION = 'storefront-pricing/1';

export interface CatalogEntry {
  sku: string;
  name: string;
  /** Minor units, GST excluded. */
  price: number;
  /** GST in basis points (18% = 1800). */
  gstRateBp: number;
}

export interface DiscountRule {
  code: string;
  kind: 'percent' | 'fixed';
  /** Percent (1–100) or minor units. */
  value: number;
  minSubtotal: number | null;
  active: boolean;
}

export interface ShippingRule {
  /** Minor units. */
  fee: number;
  /** Subtotal after discount from which shipping is free; null = never free. */
  freeFrom: number | null;
}

export interface PricedLine {
  sku: string;
  name: string;
  quantity: number;
  unitPrice: number;
  gstRateBp: number;
  /** unitPrice × quantity. */
  amount: number;
  /** This line's share of the order's discount. */
  discount: number;
  gst: number;
}

export interface PricingSnapshot {
  engineVersion: string;
  timestamp: string;
  currency: string;
  variants: Record<string, { name: string; price: number; gstRateBp: number }>;
  shippingRule: ShippingRule;
  ruleHash: string;
}

export interface DiscountSnapshot {
  engineVersion: string;
  timestamp: string;
  rules: DiscountRule[];
  ruleHash: string;
  appliedDiscounts: { code: string; kind: DiscountRule['kind']; value: number; amount: number }[];
}

export interface Quote {
  lines: PricedLine[];
  subtotal: number;
  discount: number;
  gst: number;
  shipping: number;
  total: number;
  pricingSnapshot: PricingSnapshot;
  discountSnapshot: DiscountSnapshot;
}

/** Why a cart cannot be priced: the checkout fails with this reason. */
export class PricingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PricingError';
  }
}

/** `round(value × bp / 10000)`, half up, in exact integer arithmetic. */
export function applyBasisPoints(value: number, bp: number): number {
  return Number((BigInt(value) * BigInt(bp) + 5000n) / 10000n);
}

export function discountAmount(rule: DiscountRule, subtotal: number): number {
  if (rule.kind === 'percent') return Number((BigInt(subtotal) * BigInt(rule.value)) / 100n);
  return Math.min(rule.value, subtotal);
}

/** Splits `total` across `weights` in proportion (largest remainder); the parts add up to `total`. */
export function allocate(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum === 0 || total === 0) return weights.map(() => 0);
  const exact = weights.map((w) => BigInt(total) * BigInt(w));
  const parts = exact.map((e) => Number(e / BigInt(sum)));
  let left = total - parts.reduce((a, b) => a + b, 0);
  const order = exact
    .map((e, i) => ({ i, rem: e % BigInt(sum) }))
    .sort((a, b) => (a.rem === b.rem ? a.i - b.i : a.rem > b.rem ? -1 : 1));
  for (const { i } of order) {
    if (left <= 0) break;
    parts[i] = (parts[i] ?? 0) + 1;
    left -= 1;
  }
  return parts;
}

/** sha256 of the value's JSON with object keys sorted: the same rules always hash the same. */
export function ruleHash(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export interface QuoteInput {
  items: readonly { sku: string; quantity: number }[];
  catalog: ReadonlyMap<string, CatalogEntry>;
  discount: DiscountRule | undefined;
  shipping: ShippingRule;
  currency: string;
  now: Date;
}

/** Prices a cart, or throws PricingError (unknown SKU, inactive discount, minimum not met). */
export function quote(input: QuoteInput): Quote {
  const timestamp = input.now.toISOString();
  const priced = input.items.map((item) => {
    const entry = input.catalog.get(item.sku);
    if (!entry) throw new PricingError(`unknown sku ${item.sku}`);
    return { entry, quantity: item.quantity, amount: entry.price * item.quantity };
  });
  const subtotal = priced.reduce((sum, p) => sum + p.amount, 0);
  const rule = input.discount;
  if (rule && !rule.active) throw new PricingError(`discount code ${rule.code} is not active`);
  if (rule && rule.minSubtotal !== null && subtotal < rule.minSubtotal) {
    throw new PricingError(`discount code ${rule.code} needs a subtotal of at least ${rule.minSubtotal}`);
  }
  const discount = rule ? discountAmount(rule, subtotal) : 0;
  const shares = allocate(
    discount,
    priced.map((p) => p.amount),
  );
  const lines: PricedLine[] = priced.map((p, i) => {
    const share = shares[i] ?? 0;
    return {
      sku: p.entry.sku,
      name: p.entry.name,
      quantity: p.quantity,
      unitPrice: p.entry.price,
      gstRateBp: p.entry.gstRateBp,
      amount: p.amount,
      discount: share,
      gst: applyBasisPoints(p.amount - share, p.entry.gstRateBp),
    };
  });
  const gst = lines.reduce((sum, l) => sum + l.gst, 0);
  const afterDiscount = subtotal - discount;
  const { fee, freeFrom } = input.shipping;
  const shipping = freeFrom !== null && afterDiscount >= freeFrom ? 0 : fee;
  const variants: PricingSnapshot['variants'] = {};
  for (const { entry } of priced) {
    variants[entry.sku] = { name: entry.name, price: entry.price, gstRateBp: entry.gstRateBp };
  }
  const rules = rule ? [rule] : [];
  return {
    lines,
    subtotal,
    discount,
    gst,
    shipping,
    total: afterDiscount + gst + shipping,
    pricingSnapshot: {
      engineVersion: PRICING_ENGINE_VERSION,
      timestamp,
      currency: input.currency,
      variants,
      shippingRule: input.shipping,
      ruleHash: ruleHash({ variants, shippingRule: input.shipping, currency: input.currency }),
    },
    discountSnapshot: {
      engineVersion: PRICING_ENGINE_VERSION,
      timestamp,
      rules,
      ruleHash: ruleHash(rules),
      appliedDiscounts: rule
        ? [{ code: rule.code, kind: rule.kind, value: rule.value, amount: discount }]
        : [],
    },
  };
}
