import { COUNTRIES, loadConfig, ConfigError } from '@shop/config';
import { configSchema } from '../src/config';
import {
  DEFAULT_SHIPPING_METHODS,
  ShippingMethods,
  shippingCost,
  type ShippingMethodEntry,
} from '../src/shipping';

/** SHIPPING_METHODS: the built-in list, the validation of a configured one, the rules of cost and reach. */

const env = (methods?: unknown) => ({
  ...(methods === undefined
    ? {}
    : { SHIPPING_METHODS: typeof methods === 'string' ? methods : JSON.stringify(methods) }),
});
const entry = (patch: Partial<ShippingMethodEntry> = {}): ShippingMethodEntry => ({
  id: 'only',
  name: 'Only',
  currency: 'EUR',
  price: 100,
  freeAbove: null,
  countries: COUNTRIES.map((c) => c.code),
  estimatedDays: 2,
  ...patch,
});
const refusal = (methods: unknown) => {
  try {
    loadConfig(configSchema, env(methods));
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('accepted');
};

describe('SHIPPING_METHODS', () => {
  it('defaults to the built-in methods, which reach every country', () => {
    const config = loadConfig(configSchema, env());
    expect(config.SHIPPING_METHODS).toEqual(DEFAULT_SHIPPING_METHODS);
    const methods = new ShippingMethods(config.SHIPPING_METHODS);
    for (const { code } of COUNTRIES) expect(methods.forCountry(code).length).toBeGreaterThan(0);
    expect(methods.currency).toBe('EUR');
  });

  it('reads a configured list', () => {
    const config = loadConfig(configSchema, env([entry({ id: 'flat-1', price: 0 })]));
    expect(new ShippingMethods(config.SHIPPING_METHODS).forCountry('DE')).toEqual([
      expect.objectContaining({ id: 'flat-1', price: { amount: 0, currency: 'EUR' }, freeAbove: null }),
    ]);
  });

  it.each([
    ['not JSON', '[{'],
    ['not a list', { id: 'x' }],
    ['an empty list', []],
    ['an id in upper case', [entry({ id: 'Standard' })]],
    ['an id with other characters', [entry({ id: 'std_eu' })]],
    ['an id too long', [entry({ id: 'a'.repeat(41) })]],
    ['duplicate ids', [entry(), entry()]],
    ['a negative price', [entry({ price: -1 })]],
    ['a price above 1,000.00', [entry({ price: 100_001 })]],
    ['a fractional price', [entry({ price: 4.9 })]],
    ['a free-above of 0', [entry({ freeAbove: 0 })]],
    ['an unknown country', [entry({ countries: [...COUNTRIES.map((c) => c.code), 'XX'] })]],
    ['a lower-case country', [entry({ countries: ['de', ...COUNTRIES.map((c) => c.code)] })]],
    ['a repeated country', [entry({ countries: ['DE', ...COUNTRIES.map((c) => c.code)] })]],
    ['a country no method reaches', [entry({ countries: ['DE'] })]],
    ['two currencies', [entry(), entry({ id: 'usd', currency: 'USD' })]],
    ['an unknown field', [{ ...entry(), free: true }]],
    ['no days', [{ ...entry(), estimatedDays: 0 }]],
  ])('refuses %s', (_label, methods) => {
    expect(refusal(methods)).toContain('SHIPPING_METHODS');
  });
});

describe('shipping methods', () => {
  const methods = new ShippingMethods(DEFAULT_SHIPPING_METHODS);

  it('lists the methods of a country cheapest first; unknown and lower-case countries have none', () => {
    expect(methods.forCountry('DE').map((m) => m.id)).toEqual(['standard-eu', 'express-eu']);
    expect(methods.forCountry('US').map((m) => m.id)).toEqual(['standard-us']);
    expect(methods.forCountry('de')).toEqual([]);
    expect(methods.forCountry('XX')).toEqual([]);
    expect(methods.forCountry('')).toEqual([]);
  });

  it('finds a method by its exact id when it reaches the country', () => {
    expect(methods.find('standard-eu', 'NL')?.name).toBe('Standard');
    expect(methods.find('standard-eu', 'US')).toBeNull();
    expect(methods.find('Standard-EU', 'DE')).toBeNull();
    expect(methods.find('standard-eu ', 'DE')).toBeNull();
  });

  it('ships free from freeAbove exactly, not one cent below; never when it has none', () => {
    const standard = methods.find('standard-eu', 'DE')!;
    expect(shippingCost(standard, 5000)).toBe(0);
    expect(shippingCost(standard, 4999)).toBe(490);
    expect(shippingCost(standard, 0)).toBe(490);
    const express = methods.find('express-eu', 'DE')!;
    expect(shippingCost(express, 10_000_000)).toBe(990);
  });
});
