/** Formats a Money value (amount in minor units) with Intl.NumberFormat. */
export function formatMoney(money: { amount: number; currency: string }): string {
  const format = new Intl.NumberFormat(undefined, { style: 'currency', currency: money.currency });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(money.amount / 10 ** digits);
}

export function Money({ money }: { money: { amount: number; currency: string } }) {
  return <span>{formatMoney(money)}</span>;
}
