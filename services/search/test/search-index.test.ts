import { describe, expect, it } from '@jest/globals';
// A deterministic PRNG so a failure replays.
import { mulberry32 as rng } from '@shop/catalog/demo-data';
import { parseQuery, SearchIndex, type FIELD } from '../src/domain/search-index.ts';
import { rangesIn } from '../src/domain/highlight.ts';
import { fold, MAX_TERM_LENGTH, terms, tokenize } from '../src/domain/text.ts';
import { suggest } from '../src/domain/suggest.ts';
import { oneEditVariants } from '../src/domain/typos.ts';
import type { SearchableProduct } from '../src/domain/types.ts';

const WORDS = ['red', 'blue', 'lamp', 'desk', 'chair', 'oak', 'steel', 'soft', 'loud', 'tiny', 'grand', 'plush'];


function product(i: number, random: () => number, version = 0): SearchableProduct {
  const pick = (): string => WORDS[Math.floor(random() * WORDS.length)]!;
  return {
    id: i.toString(16).padStart(24, '0'),
    sku: `SKU-${String(i).padStart(5, '0')}`,
    name: `${pick()} ${pick()}`,
    description: `${pick()} ${pick()} ${pick()}`,
    brand: pick(),
    categoryId: 'c'.repeat(24),
    priceCents: Math.floor(random() * 10_000),
    currency: 'USD',
    popularity: Math.floor(random() * 100),
    rating: { average: 4, count: 1 },
    inStock: random() > 0.2,
    image: null,
    attributes: {},
    createdAt: 0,
    updatedAt: version,
  };
}

/** The scoring rule restated plainly: per word, the best field weight × 3 (exact matches only). */
function bruteForce(products: Iterable<SearchableProduct>, words: string[]): Map<string, number> {
  const weights: [keyof typeof FIELD, number, (p: SearchableProduct) => string[]][] = [
    ['sku', 8, (p) => [...terms(p.sku), terms(p.sku).join('')]],
    ['name', 8, (p) => terms(p.name)],
    ['brand', 6, (p) => terms(p.brand)],
    ['category', 5, () => terms('Furniture')],
    ['description', 1, (p) => terms(p.description)],
  ];
  const out = new Map<string, number>();
  for (const p of products) {
    let score = 0;
    let all = true;
    for (const word of words) {
      const best = Math.max(0, ...weights.filter(([, , text]) => text(p).includes(word)).map(([, w]) => w * 3));
      if (best === 0) all = false;
      score += best;
    }
    if (all) out.set(p.id, score);
  }
  return out;
}

describe('text folding', () => {
  it('when text has accents, case and punctuation, then terms are folded words with their offsets', () => {
    expect(fold('Café ÅNGSTRÖM')).toBe('cafe angstrom');
    expect(tokenize('Nordvik Aero-14, "Pro"')).toEqual([
      { term: 'nordvik', start: 0, end: 7 },
      { term: 'aero', start: 8, end: 12 },
      { term: '14', start: 13, end: 15 },
      { term: 'pro', start: 18, end: 21 },
    ]);
  });

  it('when a query ends with a separator, then its last word is not a prefix', () => {
    expect(parseQuery('oak des')).toEqual([
      { term: 'oak', prefix: false },
      { term: 'des', prefix: true },
    ]);
    expect(parseQuery('oak desk ')).toEqual([
      { term: 'oak', prefix: false },
      { term: 'desk', prefix: false },
    ]);
    expect(parseQuery('a b c d e f g h i j k l m').length).toBe(10);
  });
});

describe('one-edit variants', () => {
  it('when a word is varied, then deletion, insertion, substitution and transposition are all generated and the word itself is not', () => {
    const variants = oneEditVariants('chair', ['a', 'c', 'h', 'i', 'r', 'x']);
    for (const v of ['chir', 'chaira', 'chaxr', 'hcair', 'xchair']) expect(variants.has(v)).toBe(true);
    expect(variants.has('chair')).toBe(false);
    expect(variants.has('cahri')).toBe(false);
  });
});

describe('SearchIndex', () => {
  it('when thousands of random adds, edits and deletes are applied, then every query matches exactly what a brute-force scan finds, with the same scores', () => {
    const random = rng(7);
    const index = new SearchIndex();
    index.setCategories([{ id: 'c'.repeat(24), slug: 'furniture', name: 'Furniture' }]);
    const truth = new Map<string, SearchableProduct>();
    for (let i = 0; i < 600; i++) {
      const p = product(i, random);
      index.upsert(p);
      truth.set(p.id, p);
    }
    // Enough churn to pass the compaction threshold (1 024 dead slots) more than once.
    for (let step = 0; step < 4_000; step++) {
      const i = Math.floor(random() * 800);
      const id = i.toString(16).padStart(24, '0');
      if (random() < 0.25) {
        index.remove(id);
        truth.delete(id);
      } else {
        const p = product(i, random, step + 1);
        index.upsert(p);
        truth.set(id, p);
      }
    }
    expect(index.size).toBe(truth.size);
    const queries = [['red'], ['oak', 'desk'], ['chair', 'steel', 'soft'], ['sku'], ['grand', 'plush'], ['furniture', 'tiny']];
    for (const words of queries) {
      const expected = bruteForce(truth.values(), words);
      const { candidates } = index.match(words.map((term) => ({ term, prefix: false })));
      const actual = new Map(candidates.map((c) => [c.product.id, c.score]));
      expect({ words, matches: [...actual].sort() }).toEqual({ words, matches: [...expected].sort() });
    }
  });

  it('when a product changes only price or stock, then it is re-scored in place and reported as changed; a no-op write is unchanged', () => {
    const index = new SearchIndex();
    const p = product(1, rng(1));
    expect(index.upsert(p)).toBe('added');
    expect(index.upsert({ ...p, updatedAt: 99 })).toBe('unchanged');
    expect(index.upsert({ ...p, priceCents: p.priceCents + 1 })).toBe('changed');
    expect(index.upsert({ ...p, name: 'walnut table' })).toBe('changed');
    expect(index.match([{ term: 'walnut', prefix: false }]).candidates.map((c) => c.product.id)).toEqual([p.id]);
  });

  it('when a prefix is very common, then it expands to a bounded number of terms, the most frequent first', () => {
    const index = new SearchIndex();
    for (let i = 0; i < 200; i++) index.upsert({ ...product(i, rng(i)), name: `zz${i} ${i % 2 ? 'zzcommon' : ''}` });
    const completions = index.completions('zz', 50);
    expect(completions.length).toBe(50);
    expect(completions[0]).toBe('zzcommon');
  });

  it('when a product arrives before its category is known, then the category words match it once the category is learned', () => {
    const index = new SearchIndex();
    const p = { ...product(1, rng(3)), categoryId: 'd'.repeat(24) };
    index.upsert(p);
    expect(index.match([{ term: 'kitchenware', prefix: false }]).candidates).toEqual([]);
    index.setCategories([{ id: 'd'.repeat(24), slug: 'kitchenware', name: 'Kitchenware' }]);
    expect(index.match([{ term: 'kitchenware', prefix: false }]).candidates.map((c) => c.product.id)).toEqual([p.id]);
  });
});

describe('remembered expansions', () => {
  it('when a word was expanded and then new terms arrive, then the next search sees them', () => {
    const index = new SearchIndex();
    index.upsert({ ...product(1, rng(6)), name: 'marble lamp' });
    expect(index.match([{ term: 'marb', prefix: true }]).candidates.length).toBe(1);
    expect(index.match([{ term: 'marbel', prefix: false }]).candidates.length).toBe(1);
    index.upsert({ ...product(2, rng(7)), name: 'marbled vase' });
    expect(index.expand({ term: 'marb', prefix: true }).map((e) => e.term).sort()).toEqual(['marble', 'marbled']);
    expect(index.match([{ term: 'marb', prefix: true }]).candidates.length).toBe(2);
    index.remove(product(1, rng(6)).id);
    expect(index.match([{ term: 'marbel', prefix: false }]).candidates.length).toBe(0);
  });
});

describe('suggestions', () => {
  it('when the word being typed completes to a word already typed, then it is not suggested twice', () => {
    const index = new SearchIndex();
    index.upsert({ ...product(1, rng(4)), name: 'laptops laptop stand' });
    const { terms: suggested } = suggest(index, 'laptops lap', { limit: 5, popular: () => [] });
    expect(suggested).toContain('laptops laptop');
    expect(suggested).not.toContain('laptops laptops');
  });

  it('when a popular query no longer finds anything, then it is not offered', () => {
    const index = new SearchIndex();
    index.upsert({ ...product(1, rng(5)), name: 'walnut desk' });
    const { popular } = suggest(index, 'wal', { limit: 5, popular: () => ['walnut desk', 'walrus poster'] });
    expect(popular).toEqual(['walnut desk']);
  });
});

describe('highlight ranges', () => {
  /** The definition: every token of the text whose term is matched. */
  const byTokens = (text: string, matched: ReadonlySet<string>): [number, number][] | null => {
    const ranges = tokenize(text)
      .filter((t) => matched.has(t.term))
      .map((t): [number, number] => [t.start, t.end]);
    return ranges.length > 0 ? ranges : null;
  };

  it('when texts are ASCII (searched in place) or not (tokenized), then the ranges are exactly the matched tokens', () => {
    const random = rng(31);
    const pieces = ['desk', 'Desk', 'DESK', 'desks', 'oak', 'oaken', 'x1', '14', 'a', '-', ' ', ', ', '"', 'caf\u00e9', 'Caf\u00c9', '\u00dcber', 'uber', 'l'.repeat(MAX_TERM_LENGTH + 5), 'l'.repeat(MAX_TERM_LENGTH)];
    const vocabulary = ['desk', 'oak', 'x1', '14', 'a', 'cafe', 'uber', 'l'.repeat(MAX_TERM_LENGTH), 'desks', 'nothing'];
    for (let round = 0; round < 2_000; round++) {
      const parts = Array.from({ length: 1 + Math.floor(random() * 12) }, () => pieces[Math.floor(random() * pieces.length)]!);
      const text = parts.join(random() < 0.5 ? ' ' : '');
      const matched = new Set(vocabulary.filter(() => random() < 0.4));
      expect([text, rangesIn(text, matched)]).toEqual([text, byTokens(text, matched)]);
    }
  });

  it('when a term occurs inside longer words, then only whole-word occurrences are marked', () => {
    expect(rangesIn('Oakland oak-desk; OAK', new Set(['oak']))).toEqual([
      [8, 11],
      [18, 21],
    ]);
    expect(rangesIn('desktop', new Set(['desk']))).toBeNull();
  });
});
