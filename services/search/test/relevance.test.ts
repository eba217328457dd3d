import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { seedDemo, startSearchForTest, testDatabase, type SearchUnderTest, type TestDatabase } from './helpers.ts';

/**
 * Relevance through HTTP on the deterministic demo catalog (2 000 products). The words used
 * here were picked from the generator (services/catalog/src/data-access/demo-data.ts):
 * - "everyday": an adjective/model in some names, and in the pitch "… for everyday use." of
 *   many other products' descriptions; no term of the catalog is one edit away from it.
 * - "office": "Office Chair" names, and "office chatter" in headphone descriptions.
 * - "orbit" (a smartphone model) and "orbiq" (a smartphone brand) are one edit apart.
 * - "nordvik" is a laptop brand; "aero" a four-letter laptop model.
 */

interface Highlight {
  field: 'name' | 'sku' | 'brand' | 'description';
  text: string;
  ranges: [number, number][];
}

interface Hit {
  id: string;
  sku: string;
  name: string;
  brand: string;
  popularity: number;
  score: number;
  matched: string[];
  highlights: Highlight[];
}

interface SearchBody {
  q: string;
  total: number;
  page: number;
  pages: number;
  sort: string;
  hits: Hit[];
}

interface SuggestBody {
  q: string;
  terms: string[];
  popular: string[];
  products: { id: string; sku: string; name: string; highlights: Highlight[] }[];
}

const PRODUCTS = 2_000;

let db: TestDatabase;
let app: SearchUnderTest;
/** Description of every seeded product by id, read straight from the database. */
const descriptions = new Map<string, string>();

beforeAll(async () => {
  db = await testDatabase('test_search_relevance');
  await seedDemo(db, PRODUCTS);
  app = await startSearchForTest(db);
  const rows = await db.models.Product.find({}, { description: 1 }).lean();
  for (const row of rows) descriptions.set(String(row._id), row.description);
}, 120_000);

afterAll(async () => {
  await app?.stop();
  await db?.drop();
});

/** Folded words of a text, the way a shopper reads them (no accents in the demo data). */
const words = (text: string): string[] => text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w !== '');

function url(path: string, params: Record<string, string | number>): string {
  const query = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]));
  return `${path}?${query.toString()}`;
}

async function search(params: Record<string, string | number>): Promise<SearchBody> {
  const res = await app.http().get(url('/api/search', params)).expect(200);
  return res.body as SearchBody;
}

/** Every hit of a query (at most the 1 000-deep result window), in order. */
async function allHits(params: Record<string, string | number>): Promise<Hit[]> {
  const hits: Hit[] = [];
  for (let page = 1; page <= 10; page++) {
    const body = await search({ ...params, limit: 100, page });
    hits.push(...body.hits);
    if (hits.length >= body.total || body.hits.length === 0) {
      expect(hits.length).toBe(body.total);
      return hits;
    }
  }
  throw new Error(`more than 1 000 hits for ${JSON.stringify(params)}`);
}

const ids = (hits: readonly Hit[]): string[] => hits.map((h) => h.id).sort();

describe('field weights', () => {
  it.each(['everyday', 'office'])(
    'when searching "%s", then every product with the word in its name comes before every product that only mentions it in the description',
    async (word) => {
      const hits = await allHits({ q: `${word} ` });
      const inName = (h: Hit): boolean => h.matched.includes('name');
      const descriptionOnly = (h: Hit): boolean => h.matched.length === 1 && h.matched[0] === 'description';

      expect(hits.filter(inName).length).toBeGreaterThan(0);
      expect(hits.filter(descriptionOnly).length).toBeGreaterThan(0);
      // Every hit is one kind or the other, and `matched` tells the truth about the texts.
      for (const hit of hits) {
        expect(inName(hit) || descriptionOnly(hit)).toBe(true);
        expect(words(hit.name).includes(word)).toBe(inName(hit));
        if (descriptionOnly(hit)) expect(words(descriptions.get(hit.id)!)).toContain(word);
      }
      const lastNameHit = hits.findLastIndex(inName);
      const firstDescriptionOnly = hits.findIndex(descriptionOnly);
      expect(lastNameHit).toBeLessThan(firstDescriptionOnly);
      expect(Math.min(...hits.filter(inName).map((h) => h.score))).toBeGreaterThan(
        Math.max(...hits.filter(descriptionOnly).map((h) => h.score)),
      );
    },
  );

  it.each(['LAP-000013', 'lap-000013', 'lap000013', 'LAP000013', 'Lap 000013'])(
    'when searching the SKU typed as "%s", then that product comes first',
    async (q) => {
      const body = await search({ q });
      expect(body.hits[0]).toMatchObject({ sku: 'LAP-000013' });
      expect(body.hits[0]!.matched).toContain('sku');
      if (body.hits[1]) expect(body.hits[1].score).toBeLessThan(body.hits[0]!.score);
    },
  );
});

describe('prefixes', () => {
  it.each([
    ['headph', 'headphones'],
    ['nordv', 'nordvik'],
    ['HeadPh', 'headphones'],
  ])('when the query ends in the partial word "%s", then it finds the same products as the full word "%s"', async (partial, full) => {
    const [prefixed, exact] = await Promise.all([allHits({ q: partial }), allHits({ q: `${full} ` })]);
    expect(exact.length).toBeGreaterThan(0);
    expect(ids(prefixed)).toEqual(ids(exact));
  });

  it.each(['headph ', 'nordv ', 'nordv,'])(
    'when the query "%s" ends with a separator, then its last word is not completed and nothing matches',
    async (q) => {
      const body = await search({ q });
      expect(body.total).toBe(0);
      expect(body.hits).toEqual([]);
    },
  );

  it('when an earlier word is a partial word, then only the last one is completed', async () => {
    expect((await search({ q: 'nordv laptop' })).total).toBe(0);
    expect((await search({ q: 'nordvik lapt' })).total).toBeGreaterThan(0);
  });
});

describe('one-typo tolerance', () => {
  it.each([
    ['a substitution', 'nordvak'],
    ['a deletion', 'nordvk'],
    ['an insertion', 'nordviek'],
    ['an adjacent transposition', 'nordivk'],
    ['a substitution and a trailing space', 'nordvak '],
    ['its first letters swapped', 'onrdvik '],
  ])('when "nordvik" is typed with %s ("%s"), then it finds exactly the products "nordvik" finds', async (_kind, typo) => {
    const [typed, exact] = await Promise.all([allHits({ q: typo }), allHits({ q: 'nordvik ' })]);
    expect(exact.length).toBeGreaterThan(0);
    expect(typed[0]!.id).toBe(exact[0]!.id);
    expect(ids(typed)).toEqual(ids(exact));
    // The exact spelling scores higher than the same match reached through a typo.
    expect(typed[0]!.score).toBeLessThan(exact[0]!.score);
  });

  it.each([
    ['ofice', 'deletion'],
    ['offcie', 'transposition'],
    ['offixe', 'substitution'],
    ['officze', 'insertion'],
  ])('when "office" is typed as "%s" (%s), then the top hit is the one "office" finds', async (typo) => {
    const [typed, exact] = await Promise.all([search({ q: `${typo} ` }), search({ q: 'office ' })]);
    expect(typed.hits[0]!.id).toBe(exact.hits[0]!.id);
    expect(typed.total).toBe(exact.total);
  });

  it.each([
    ['orbit', 'orbiq'],
    ['orbiq', 'orbit'],
  ])('when searching "%s", then products spelled that way rank above products only reached through the typo "%s"', async (word, neighbour) => {
    const hits = await allHits({ q: `${word} ` });
    const exact = (h: Hit): boolean => words(`${h.name} ${h.brand}`).includes(word);
    const typoOnly = (h: Hit): boolean => !exact(h) && words(`${h.name} ${h.brand}`).includes(neighbour);
    expect(hits.filter(exact).length).toBeGreaterThan(0);
    expect(hits.filter(typoOnly).length).toBeGreaterThan(0);
    expect(hits.every((h) => exact(h) || typoOnly(h))).toBe(true);
    expect(hits.findLastIndex(exact)).toBeLessThan(hits.findIndex(typoOnly));
  });

  it.each([
    ['aerp ', 'a substitution'],
    ['earo ', 'a transposition'],
    ['aer ', 'a deletion'],
  ])('when the four-letter word "aero" is typed as "%s" (%s), then nothing matches', async (typo) => {
    expect((await search({ q: 'aero ' })).total).toBeGreaterThan(0);
    expect((await search({ q: typo })).total).toBe(0);
  });

  it.each(['nurdvak ', 'nrodvki ', 'nordfic', 'offeci '])('when a word has two typos ("%s"), then nothing matches', async (q) => {
    expect((await search({ q })).total).toBe(0);
  });

  it('when a long number is mistyped, then it is not corrected', async () => {
    expect((await search({ q: '000013 ' })).total).toBe(1);
    expect((await search({ q: '000031 ' })).hits.map((h) => h.sku)).not.toContain('LAP-000013');
    expect((await search({ q: '0000133 ' })).total).toBe(0);
  });
});

describe('tie-breaks', () => {
  it('when hits have the same score, then the more popular comes first, then the smaller id', async () => {
    const hits = await allHits({ q: 'everyday ' });
    let equalScores = 0;
    let equalPopularity = 0;
    for (let i = 1; i < hits.length; i++) {
      const [a, b] = [hits[i - 1]!, hits[i]!];
      expect(a.score).toBeGreaterThanOrEqual(b.score);
      if (a.score !== b.score) continue;
      equalScores++;
      expect(a.popularity).toBeGreaterThanOrEqual(b.popularity);
      if (a.popularity === b.popularity) {
        equalPopularity++;
        expect(a.id < b.id).toBe(true);
      }
    }
    // The data really exercises both tie-breaks.
    expect(equalScores).toBeGreaterThan(100);
    expect(equalPopularity).toBeGreaterThan(10);
  });
});

describe('highlights', () => {
  /** Every range is a whole word of `text` whose folded form passes `accept`. */
  function expectRanges(highlight: Highlight, accept: (word: string) => boolean): void {
    expect(highlight.ranges.length).toBeGreaterThan(0);
    let previousEnd = 0;
    for (const [start, end] of highlight.ranges) {
      expect(start).toBeGreaterThanOrEqual(previousEnd);
      expect(end).toBeGreaterThan(start);
      expect(end).toBeLessThanOrEqual(highlight.text.length);
      const slice = highlight.text.slice(start, end);
      expect(accept(slice.toLowerCase())).toBe(true);
      expect(highlight.text.slice(start - 1, start)).not.toMatch(/[\p{L}\p{N}]/u);
      expect(highlight.text.slice(end, end + 1)).not.toMatch(/[\p{L}\p{N}]/u);
      previousEnd = end;
    }
  }

  it('when a word matches, then the name and description highlights mark each occurrence of it in the returned text', async () => {
    const hits = await allHits({ q: 'office ' });
    for (const hit of hits) {
      const byField = new Map(hit.highlights.map((h) => [h.field, h]));
      const name = byField.get('name');
      if (hit.matched.includes('name')) {
        expect(name!.text).toBe(hit.name);
        expectRanges(name!, (w) => w === 'office');
        expect(name!.ranges.length).toBe(words(hit.name).filter((w) => w === 'office').length);
      } else {
        expect(name).toBeUndefined();
      }
      const description = byField.get('description');
      expectRanges(description!, (w) => w === 'office');
      // The snippet is a window of the product's own description.
      expect(descriptions.get(hit.id)).toContain(description!.text.replace(/^…/, '').replace(/…$/, ''));
      expect(byField.has('sku')).toBe(false);
    }
  });

  it('when searching a SKU, then the sku highlight marks it', async () => {
    const body = await search({ q: 'lap-000013 ' });
    const sku = body.hits[0]!.highlights.find((h) => h.field === 'sku');
    expect(sku).toEqual({ field: 'sku', text: 'LAP-000013', ranges: [[0, 3], [4, 10]] });
  });

  it('when the last word is a prefix, then highlights mark the whole completed words', async () => {
    const body = await search({ q: 'headph', limit: 100 });
    expect(body.hits.length).toBeGreaterThan(0);
    for (const hit of body.hits) {
      for (const highlight of hit.highlights) expectRanges(highlight, (w) => w.startsWith('headph') && w.length > 'headph'.length);
    }
  });

  it('when a word matched through a typo, then highlights mark the correctly spelled word', async () => {
    const body = await search({ q: 'nordvak ', limit: 100 });
    expect(body.hits.length).toBeGreaterThan(0);
    for (const hit of body.hits) {
      const brand = hit.highlights.find((h) => h.field === 'brand');
      expect(brand).toEqual({ field: 'brand', text: 'Nordvik', ranges: [[0, 7]] });
      for (const highlight of hit.highlights) expectRanges(highlight, (w) => w === 'nordvik');
    }
  });
});

describe('suggestions', () => {
  async function suggest(q: string): Promise<SuggestBody> {
    const res = await app.http().get(url('/api/search/suggest', { q })).expect(200);
    return res.body as SuggestBody;
  }

  it('when typing "headphon", then the completed term and matching products are suggested', async () => {
    const body = await suggest('headphon');
    expect(body.terms).toContain('headphones');
    expect(body.products.length).toBeGreaterThan(0);
    expect(body.products.length).toBeLessThanOrEqual(5);
    for (const product of body.products) {
      expect(words(product.name)).toContain('headphones');
      const name = product.highlights.find((h) => h.field === 'name')!;
      expect(name.ranges.map(([s, e]) => name.text.slice(s, e))).toContain('Headphones');
    }
  });

  it('when the last word has a typo and completes to nothing, then its correction is suggested', async () => {
    const body = await suggest('nordvak');
    expect(body.terms).toEqual(['nordvik']);
    expect(body.products.length).toBeGreaterThan(0);
  });

  it.each(['', '   ', 'zzqxvw', 'nordvik zzqxvw'])('when the query is "%s" (empty or unknown), then every list is empty', async (q) => {
    const body = await suggest(q);
    expect(body).toEqual({ q, terms: [], popular: [], products: [] });
  });
});
