import { describe, expect, it } from '@jest/globals';
import { servingIndex } from '@shop/db';
import { SORTS } from '../src/data-access/product-repository.ts';

// The listing filters the repository can combine with each sort (toQuery in product-repository).
const EQUALITY_FILTERS = [[], ['categoryId'], ['brand']] as const;

describe('product listing queries and indexes', () => {
  const cases = Object.entries(SORTS).flatMap(([sort, keys]) =>
    EQUALITY_FILTERS.map((equality) => [sort, equality.join('+') || '(none)', equality, keys] as const),
  );

  it.each(cases)('when listing sorted by %s with equality filter %s, then a declared index serves it', (_sort, _label, equality, keys) => {
    const sort = Object.fromEntries(Object.entries(keys).map(([field, order]) => [field, order === -1 ? -1 : 1])) as Record<string, 1 | -1>;
    const index = servingIndex('products', { equality, sort });
    expect({ equality, sort, index }).toEqual({ equality, sort, index: expect.any(String) });
  });

  it('when the price range is combined with the price sort, then the same index serves the range', () => {
    expect(servingIndex('products', { equality: ['categoryId'], sort: { priceCents: 1, _id: 1 }, range: 'priceCents' })).toBe(
      'category_price',
    );
  });
});
