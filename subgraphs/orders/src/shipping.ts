import { COUNTRIES, z } from '@shop/config';
import type { Money } from '@shop/graphql';

/**
 * Shipping methods: configured in SHIPPING_METHODS (JSON, validated here at start-up), each with a
 * flat price, an optional free-above threshold and the countries it reaches. Every method is priced
 * in one currency, the shop's currency (discount codes' amounts are in it too); every country of
 * COUNTRIES is reached by at least one method.
 */

/** A shipping method as Query.shippingMethods and checkout see it. */
export interface ShippingMethodModel {
  id: string;
  name: string;
  price: Money;
  /** Orders whose subtotal after the discount is at least this ship free; null: never free. */
  freeAbove: Money | null;
  /** ISO 3166-1 alpha-2 codes of COUNTRIES, upper case. */
  countries: string[];
  estimatedDays: number;
}

/** The largest price of a shipping method, in minor units (1,000.00). */
export const MAX_SHIPPING_PRICE = 100_000;
/** The largest free-above threshold, in minor units (100,000.00). */
export const MAX_FREE_ABOVE = 10_000_000;

const COUNTRY_CODES = COUNTRIES.map((c) => c.code);

const MethodEntry = z
  .object({
    id: z.string().regex(/^[a-z0-9-]{1,40}$/, 'id must be 1-40 of a-z, 0-9 and -'),
    name: z.string().trim().min(1).max(60),
    currency: z.string().regex(/^[A-Z]{3}$/, 'currency must be an ISO-4217 code, upper case'),
    price: z.number().int().min(0).max(MAX_SHIPPING_PRICE),
    freeAbove: z.number().int().min(1).max(MAX_FREE_ABOVE).nullable().default(null),
    countries: z
      .array(z.enum(COUNTRY_CODES as [string, ...string[]]))
      .min(1)
      .refine((list) => new Set(list).size === list.length, 'countries must not repeat'),
    estimatedDays: z.number().int().min(1).max(60),
  })
  .strict();
/** A method as SHIPPING_METHODS writes it (prices in minor units of `currency`). */
export type ShippingMethodEntry = z.infer<typeof MethodEntry>;

/** The validated list of SHIPPING_METHODS (as JSON). */
export const ShippingMethodsSchema = z
  .array(MethodEntry)
  .min(1)
  .max(50)
  .superRefine((methods, ctx) => {
    const ids = methods.map((m) => m.id);
    if (new Set(ids).size !== ids.length) ctx.addIssue({ code: 'custom', message: 'ids must be unique' });
    if (new Set(methods.map((m) => m.currency)).size > 1)
      ctx.addIssue({ code: 'custom', message: 'every method must be priced in the same currency' });
    const reached = new Set(methods.flatMap((m) => m.countries));
    const missing = COUNTRY_CODES.filter((c) => !reached.has(c));
    if (missing.length > 0)
      ctx.addIssue({ code: 'custom', message: `no method reaches ${missing.join(', ')}` });
  });

const toModel = (m: ShippingMethodEntry): ShippingMethodModel => ({
  id: m.id,
  name: m.name,
  price: { amount: m.price, currency: m.currency },
  freeAbove: m.freeAbove === null ? null : { amount: m.freeAbove, currency: m.currency },
  countries: [...m.countries],
  estimatedDays: m.estimatedDays,
});

/** The built-in methods (SHIPPING_METHODS unset), in EUR. */
export const DEFAULT_SHIPPING_METHODS: readonly ShippingMethodEntry[] = [
  {
    id: 'standard-eu',
    name: 'Standard',
    currency: 'EUR',
    price: 490,
    freeAbove: 5000,
    countries: ['AT', 'DE', 'FR', 'NL'],
    estimatedDays: 3,
  },
  {
    id: 'express-eu',
    name: 'Express',
    currency: 'EUR',
    price: 990,
    freeAbove: null,
    countries: ['AT', 'DE', 'FR', 'NL'],
    estimatedDays: 1,
  },
  {
    id: 'standard-gb',
    name: 'Standard (UK)',
    currency: 'EUR',
    price: 790,
    freeAbove: 7500,
    countries: ['GB'],
    estimatedDays: 4,
  },
  {
    id: 'standard-us',
    name: 'Standard (US)',
    currency: 'EUR',
    price: 1490,
    freeAbove: null,
    countries: ['US'],
    estimatedDays: 7,
  },
];

/** The SHIPPING_METHODS field of config.ts: JSON of a list of methods, or the built-in list. */
export const shippingMethodsField = z
  .string()
  .optional()
  .transform((raw, ctx) => {
    if (raw === undefined) return [...DEFAULT_SHIPPING_METHODS];
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be JSON: a list of shipping methods' });
      return z.NEVER;
    }
  })
  .pipe(ShippingMethodsSchema);

/** The configured methods, read by id and country. */
export class ShippingMethods {
  private readonly methods: readonly ShippingMethodModel[];
  /** The currency every method is priced in: the shop's currency. */
  readonly currency: string;

  /** From SHIPPING_METHODS as config.ts validated it. */
  constructor(entries: readonly ShippingMethodEntry[]) {
    if (entries.length === 0) throw new Error('at least one shipping method is needed');
    const methods = entries.map(toModel);
    this.methods = methods.sort(
      (a, b) => a.price.amount - b.price.amount || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );
    this.currency = methods[0]!.price.currency;
  }

  /** The methods that deliver to `country` (exactly as issued: upper case), cheapest first. */
  forCountry(country: string): ShippingMethodModel[] {
    return this.methods.filter((m) => m.countries.includes(country));
  }

  /** The method with this id (exactly) when it delivers to `country`; else null. */
  find(id: string, country: string): ShippingMethodModel | null {
    return this.methods.find((m) => m.id === id && m.countries.includes(country)) ?? null;
  }
}

/** What shipping costs for an order whose subtotal after the discount is `afterDiscount` minor units. */
export function shippingCost(method: ShippingMethodModel, afterDiscount: number): number {
  return method.freeAbove !== null && afterDiscount >= method.freeAbove.amount ? 0 : method.price.amount;
}
