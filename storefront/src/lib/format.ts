/** Number, money and date formatting, one formatter per currency (they are costly to build). */

const money = new Map<string, Intl.NumberFormat>();

export function formatMoney(cents: number, currency: string): string {
  let format = money.get(currency);
  if (!format) {
    format = new Intl.NumberFormat('en-US', { style: 'currency', currency });
    money.set(currency, format);
  }
  return format.format(cents / 100);
}

const count = new Intl.NumberFormat('en-US');
export const formatCount = (n: number): string => count.format(n);

const date = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short' });
export function formatDate(iso: string): string {
  const time = Date.parse(iso);
  return Number.isNaN(time) ? iso : date.format(time);
}

/** "4.6 out of 5 (2,471 reviews)". */
export function formatRating(rating: { average: number; count: number }): string {
  if (rating.count === 0) return 'No reviews yet';
  return `${rating.average.toFixed(1)} out of 5 (${formatCount(rating.count)} review${rating.count === 1 ? '' : 's'})`;
}

/** A price facet bucket: "$25.00 – $50.00", "$2,500.00 and up". */
export function formatPriceRange(min: number, max: number | null, currency = 'USD'): string {
  if (max === null) return `${formatMoney(min, currency)} and up`;
  if (min === 0) return `Under ${formatMoney(max, currency)}`;
  return `${formatMoney(min, currency)} – ${formatMoney(max, currency)}`;
}

/** The last 8 characters of an id: enough for a person to tell orders apart. */
export const shortId = (id: string): string => id.slice(-8).toUpperCase();
