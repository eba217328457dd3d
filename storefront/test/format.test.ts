import { describe, expect, it } from '@jest/globals';
import { formatCount, formatDate, formatMoney, formatPriceRange, formatRating, shortId } from '../src/lib/format.ts';

describe('formatMoney', () => {
  it('when cents are formatted, then they show as the currency with two decimals', () => {
    expect(formatMoney(123_456, 'USD')).toBe('$1,234.56');
    expect(formatMoney(0, 'USD')).toBe('$0.00');
    expect(formatMoney(5, 'USD')).toBe('$0.05');
    expect(formatMoney(1_000, 'EUR')).toBe('€10.00');
    expect(formatMoney(2_500, 'GBP')).toBe('£25.00');
  });

  it('when the same currency is formatted twice, then the answers agree', () => {
    expect(formatMoney(199, 'EUR')).toBe('€1.99');
    expect(formatMoney(199, 'EUR')).toBe('€1.99');
  });
});

describe('formatCount and formatRating', () => {
  it('when a count is formatted, then it has thousands separators', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(2_471)).toBe('2,471');
    expect(formatCount(1_234_567)).toBe('1,234,567');
  });

  it('when a product has reviews, then the rating reads "x.y out of 5 (n reviews)"', () => {
    expect(formatRating({ average: 4.62, count: 2_471 })).toBe('4.6 out of 5 (2,471 reviews)');
    expect(formatRating({ average: 5, count: 1 })).toBe('5.0 out of 5 (1 review)');
  });

  it('when a product has no reviews, then it says so', () => {
    expect(formatRating({ average: 0, count: 0 })).toBe('No reviews yet');
  });
});

describe('formatDate', () => {
  it('when the text is not a date, then it is returned unchanged', () => {
    expect(formatDate('not a date')).toBe('not a date');
    expect(formatDate('')).toBe('');
  });

  it('when the text is an ISO date, then it is shown as a medium date with a short time', () => {
    // The time zone is the machine's: noon UTC is the 5th, or the 6th east of UTC+12.
    expect(formatDate('2024-03-05T12:00:00.000Z')).toMatch(/^Mar [56], 2024, \d{1,2}:\d{2}\s[AP]M$/);
  });
});

describe('formatPriceRange', () => {
  it('when a bucket has both bounds, then it reads "min – max"', () => {
    expect(formatPriceRange(2_500, 5_000)).toBe('$25.00 – $50.00');
  });

  it('when a bucket starts at 0, then it reads "Under max"', () => {
    expect(formatPriceRange(0, 2_500)).toBe('Under $25.00');
  });

  it('when a bucket has no upper bound, then it reads "min and up"', () => {
    expect(formatPriceRange(250_000, null)).toBe('$2,500.00 and up');
    expect(formatPriceRange(0, null, 'EUR')).toBe('€0.00 and up');
  });
});

describe('shortId', () => {
  it('when an id is shortened, then the last 8 characters come back upper-cased', () => {
    expect(shortId('65f1c2a9b3e4d5f6a7b8c9d0')).toBe('A7B8C9D0');
    expect(shortId('abc')).toBe('ABC');
  });
});
