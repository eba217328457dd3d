import { describe, expect, it } from '@jest/globals';
import { LISTING_SORTS, PAGE_SIZE, parseRoute, routeHref, SEARCH_SORTS, searchApiQuery, vitalsPage, type Route, type SearchParams } from '../src/lib/routes.ts';

const ID = '65f1c2a9b3e4d5f6a7b8c9d0';

/** Parses an href the way the app does (pathname and search of a URL). */
const parseHref = (href: string): Route => {
  const url = new URL(href, 'http://shop.test');
  return parseRoute(url.pathname, url.search);
};

const search = (params: Partial<SearchParams>): Route => ({ name: 'search', params: { q: '', sort: 'relevance', page: 1, ...params } });

describe('parseRoute: listing', () => {
  it('when the path is / with no query, then it is the default listing', () => {
    expect(parseRoute('/', '')).toEqual({ name: 'listing', sort: 'popularity', page: 1 });
  });

  it('when the path is /products or has trailing slashes, then it is the listing too', () => {
    expect(parseRoute('/products', '')).toEqual({ name: 'listing', sort: 'popularity', page: 1 });
    expect(parseRoute('/products/', '')).toEqual({ name: 'listing', sort: 'popularity', page: 1 });
    expect(parseRoute('', '')).toEqual({ name: 'listing', sort: 'popularity', page: 1 });
    expect(parseRoute('//', '')).toEqual({ name: 'listing', sort: 'popularity', page: 1 });
  });

  it('when category, sort and page are valid, then they are kept', () => {
    expect(parseRoute('/', '?category=home-garden&sort=-price&page=7')).toEqual({ name: 'listing', category: 'home-garden', sort: '-price', page: 7 });
  });

  it('when every listing sort is given, then each is accepted', () => {
    for (const sort of LISTING_SORTS) expect(parseRoute('/', `?sort=${encodeURIComponent(sort)}`)).toEqual({ name: 'listing', sort, page: 1 });
  });

  it('when the sort is unknown or a search-only sort, then the default popularity is used', () => {
    expect(parseRoute('/', '?sort=cheapest')).toEqual({ name: 'listing', sort: 'popularity', page: 1 });
    expect(parseRoute('/', '?sort=relevance')).toEqual({ name: 'listing', sort: 'popularity', page: 1 });
    expect(parseRoute('/', '?sort=rating')).toEqual({ name: 'listing', sort: 'popularity', page: 1 });
  });

  it('when the category is not a slug, then it is dropped', () => {
    for (const category of ['Home', 'home_garden', 'home--garden', '-home', 'home-', 'home garden', '../x', '', 'a'.repeat(81)]) {
      expect(parseRoute('/', `?category=${encodeURIComponent(category)}`)).toEqual({ name: 'listing', sort: 'popularity', page: 1 });
    }
  });

  it('when the category is an 80-character slug, then it is kept', () => {
    const category = 'a'.repeat(80);
    expect(parseRoute('/', `?category=${category}`)).toEqual({ name: 'listing', category, sort: 'popularity', page: 1 });
  });

  it('when the page is past the catalog limit, then it is clamped to 500', () => {
    expect(parseRoute('/', '?page=501')).toMatchObject({ page: 500 });
    expect(parseRoute('/', '?page=999999')).toMatchObject({ page: 500 });
  });

  it('when the page is 0, negative, not a number or too long, then it is 1', () => {
    for (const page of ['0', '-3', 'abc', '2.5', '1e3', '', ' 4', '1234567']) {
      expect(parseRoute('/', `?page=${encodeURIComponent(page)}`)).toMatchObject({ page: 1 });
    }
  });
});

describe('parseRoute: search', () => {
  it('when only q is given, then the other parameters take their defaults', () => {
    expect(parseRoute('/search', '?q=red+shoes')).toEqual(search({ q: 'red shoes' }));
  });

  it('when q has surrounding spaces or is longer than 200 characters, then it is trimmed and cut', () => {
    expect(parseRoute('/search', `?q=${encodeURIComponent('  lamp  ')}`)).toEqual(search({ q: 'lamp' }));
    const long = 'x'.repeat(250);
    expect((parseRoute('/search', `?q=${long}`) as Extract<Route, { name: 'search' }>).params.q).toBe('x'.repeat(200));
  });

  it('when every parameter is valid, then all are kept', () => {
    expect(parseRoute('/search/', '?q=tv&category=electronics&brand=Acme%20Co&minPrice=1000&maxPrice=5000&inStock=true&sort=rating&page=3')).toEqual(
      search({ q: 'tv', category: 'electronics', brand: 'Acme Co', minPrice: 1000, maxPrice: 5000, inStock: true, sort: 'rating', page: 3 }),
    );
  });

  it('when every search sort is given, then each is accepted', () => {
    for (const sort of SEARCH_SORTS) expect(parseRoute('/search', `?sort=${encodeURIComponent(sort)}`)).toEqual(search({ sort }));
  });

  it('when the sort is unknown, then relevance is used', () => {
    expect(parseRoute('/search', '?q=a&sort=best')).toEqual(search({ q: 'a' }));
  });

  it('when maxPrice is below minPrice, then maxPrice is dropped and minPrice kept', () => {
    expect(parseRoute('/search', '?minPrice=5000&maxPrice=1000')).toEqual(search({ minPrice: 5000 }));
  });

  it('when maxPrice equals minPrice, then both are kept', () => {
    expect(parseRoute('/search', '?minPrice=2500&maxPrice=2500')).toEqual(search({ minPrice: 2500, maxPrice: 2500 }));
  });

  it('when only maxPrice is given, then it is kept', () => {
    expect(parseRoute('/search', '?maxPrice=0')).toEqual(search({ maxPrice: 0 }));
  });

  it('when prices are not whole cents, then they are dropped', () => {
    for (const price of ['-1', '10.5', 'abc', '', '12345678901', '1e4']) {
      expect(parseRoute('/search', `?minPrice=${encodeURIComponent(price)}&maxPrice=${encodeURIComponent(price)}`)).toEqual(search({}));
    }
  });

  it('when minPrice is invalid, then a valid maxPrice is still kept', () => {
    expect(parseRoute('/search', '?minPrice=x&maxPrice=300')).toEqual(search({ maxPrice: 300 }));
  });

  it('when inStock is anything but "true", then it is left out', () => {
    for (const value of ['false', '1', 'yes', 'TRUE', '']) expect(parseRoute('/search', `?inStock=${value}`)).toEqual(search({}));
  });

  it('when the category is not a slug, then it is dropped', () => {
    expect(parseRoute('/search', '?category=Electronics')).toEqual(search({}));
    expect(parseRoute('/search', '?category=tv%2Faudio')).toEqual(search({}));
  });

  it('when the brand is blank or longer than 80 characters, then it is dropped; otherwise it is trimmed', () => {
    expect(parseRoute('/search', '?brand=%20%20')).toEqual(search({}));
    expect(parseRoute('/search', `?brand=${'b'.repeat(81)}`)).toEqual(search({}));
    expect(parseRoute('/search', '?brand=%20Acme%20')).toEqual(search({ brand: 'Acme' }));
  });

  it('when the page is past the search window, then it is clamped to 41 (1 000 results at 24 a page)', () => {
    expect(parseRoute('/search', '?page=42')).toEqual(search({ page: 41 }));
    expect(parseRoute('/search', '?page=41')).toEqual(search({ page: 41 }));
    expect(parseRoute('/search', '?page=0')).toEqual(search({ page: 1 }));
  });
});

describe('parseRoute: other pages', () => {
  it('when the product id is a 24-hex object id, then it is a product route', () => {
    expect(parseRoute(`/product/${ID}`, '')).toEqual({ name: 'product', id: ID });
    expect(parseRoute(`/product/${ID}/`, '')).toEqual({ name: 'product', id: ID });
  });

  it('when the product id is not a lowercase 24-hex id, then it is not found', () => {
    for (const id of ['123', ID.toUpperCase(), `${ID}0`, ID.slice(1), 'zzzzzzzzzzzzzzzzzzzzzzzz', `${ID}/reviews`]) {
      expect(parseRoute(`/product/${id}`, '')).toEqual({ name: 'not-found' });
    }
    expect(parseRoute('/product', '')).toEqual({ name: 'not-found' });
    expect(parseRoute('/product/', '')).toEqual({ name: 'not-found' });
  });

  it('when the path is /cart or /checkout, then those routes are returned', () => {
    expect(parseRoute('/cart', '?x=1')).toEqual({ name: 'cart' });
    expect(parseRoute('/checkout/', '')).toEqual({ name: 'checkout' });
  });

  it('when /orders has a valid placed id, then it is kept; an invalid one is dropped', () => {
    expect(parseRoute('/orders', `?placed=${ID}`)).toEqual({ name: 'orders', placed: ID });
    expect(parseRoute('/orders', '?placed=123')).toEqual({ name: 'orders' });
    expect(parseRoute('/orders', '')).toEqual({ name: 'orders' });
  });

  it('when the path is unknown, then it is not found', () => {
    for (const path of ['/about', '/search/more', '/cart/1', '/CART', '/index.html']) expect(parseRoute(path, '')).toEqual({ name: 'not-found' });
  });
});

describe('routeHref', () => {
  it('when a route has only defaults, then the URL has no query', () => {
    expect(routeHref({ name: 'listing', sort: 'popularity', page: 1 })).toBe('/');
    expect(routeHref(search({}))).toBe('/search');
    expect(routeHref({ name: 'orders' })).toBe('/orders');
  });

  it('when routes have parameters, then the URL carries exactly the non-default ones', () => {
    expect(routeHref({ name: 'listing', category: 'toys', sort: 'newest', page: 2 })).toBe('/?category=toys&sort=newest&page=2');
    expect(routeHref({ name: 'listing', category: 'toys', sort: 'popularity', page: 1 })).toBe('/?category=toys');
    expect(routeHref(search({ q: 'red shoes', brand: 'A&B', minPrice: 0, inStock: false, page: 2 }))).toBe('/search?q=red+shoes&brand=A%26B&minPrice=0&page=2');
    expect(routeHref({ name: 'product', id: ID })).toBe(`/product/${ID}`);
    expect(routeHref({ name: 'cart' })).toBe('/cart');
    expect(routeHref({ name: 'checkout' })).toBe('/checkout');
    expect(routeHref({ name: 'orders', placed: ID })).toBe(`/orders?placed=${ID}`);
  });

  it('when the route is not-found, then the link goes home', () => {
    expect(routeHref({ name: 'not-found' })).toBe('/');
  });

  it('when each kind of route is written and parsed back, then the same route comes out', () => {
    const routes: Route[] = [
      { name: 'listing', sort: 'popularity', page: 1 },
      { name: 'listing', category: 'home-garden', sort: '-price', page: 500 },
      ...LISTING_SORTS.map((sort): Route => ({ name: 'listing', sort, page: 3 })),
      search({}),
      search({ q: 'café & crème ✓ 100%', category: 'kitchen', brand: 'Müller + Sons', minPrice: 0, maxPrice: 999_999, inStock: true, sort: '-price', page: 41 }),
      ...SEARCH_SORTS.map((sort) => search({ q: 'x', sort })),
      search({ minPrice: 100 }),
      search({ maxPrice: 100 }),
      { name: 'product', id: ID },
      { name: 'cart' },
      { name: 'checkout' },
      { name: 'orders' },
      { name: 'orders', placed: ID },
    ];
    for (const route of routes) expect(parseHref(routeHref(route))).toEqual(route);
  });

  it('when an address is parsed and written back, then the URL is canonical and parses to the same route', () => {
    const messy = parseRoute('/search/', '?page=1&sort=relevance&q=%20lamp%20&maxPrice=10&minPrice=20&category=BAD&inStock=false');
    expect(routeHref(messy)).toBe('/search?q=lamp&minPrice=20');
    expect(parseHref(routeHref(messy))).toEqual(messy);
  });
});

describe('searchApiQuery', () => {
  it('when the search has only defaults, then the query is just limit=24', () => {
    expect(PAGE_SIZE).toBe(24);
    expect(searchApiQuery({ q: '', sort: 'relevance', page: 1 })).toBe('limit=24');
  });

  it('when the search has parameters, then they are sent with the page names and limit=24, defaults left out', () => {
    const query = searchApiQuery({ q: 'red shoes', category: 'shoes', brand: 'Acme', minPrice: 500, maxPrice: 9000, inStock: true, sort: 'price', page: 4 });
    expect(query).toBe('q=red+shoes&category=shoes&brand=Acme&minPrice=500&maxPrice=9000&inStock=true&sort=price&page=4&limit=24');
  });

  it('when sort is relevance and page is 1, then neither is sent', () => {
    const params = new URLSearchParams(searchApiQuery({ q: 'tv', sort: 'relevance', page: 1 }));
    expect([...params.keys()]).toEqual(['q', 'limit']);
    expect(params.get('limit')).toBe('24');
  });
});

describe('vitalsPage', () => {
  it('when a route is given, then its vitals page is its name, and not-found is "other"', () => {
    expect(vitalsPage({ name: 'listing', sort: 'popularity', page: 1 })).toBe('listing');
    expect(vitalsPage(search({ q: 'x' }))).toBe('search');
    expect(vitalsPage({ name: 'product', id: ID })).toBe('product');
    expect(vitalsPage({ name: 'cart' })).toBe('cart');
    expect(vitalsPage({ name: 'checkout' })).toBe('checkout');
    expect(vitalsPage({ name: 'orders', placed: ID })).toBe('orders');
    expect(vitalsPage({ name: 'not-found' })).toBe('other');
  });
});
