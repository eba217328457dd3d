import { highlightsOf, selectTop } from './search-products.ts';
import { FIELD, parseQuery, QUALITY, type SearchIndex } from './search-index.ts';
import { fold } from './text.ts';
import type { Suggestions } from './types.ts';

/** Terms a suggestion may complete to: words people type, not description prose. */
const SUGGESTABLE = FIELD.name | FIELD.brand | FIELD.category | FIELD.sku;
const TERM_CANDIDATES = 10;

export interface SuggestOptions {
  limit: number;
  /** Popular queries (their `q`), most popular first. */
  popular: () => readonly string[];
}

/**
 * Type-ahead for the words typed so far: completions (or one-typo corrections) of the last word
 * that still find products together with the earlier words, popular queries starting the same
 * way, and the best-matching products.
 */
export function suggest(index: SearchIndex, q: string, options: SuggestOptions): Suggestions {
  const words = parseQuery(q);
  const head = words.slice(0, -1);
  const last = words.at(-1);
  if (!last) return { q, terms: [], popular: [], products: [] };

  // The word being typed, completed; failing that, corrected (one typo).
  let endings = index.completions(last.term, TERM_CANDIDATES, SUGGESTABLE);
  if (endings.length === 0 && !(index.termFields(last.term) & SUGGESTABLE)) {
    endings = index
      .expand({ term: last.term, prefix: false })
      .filter((e) => e.quality === QUALITY.typo && index.termFields(e.term) & SUGGESTABLE)
      .map((e) => e.term)
      .slice(0, TERM_CANDIDATES);
  }
  const terms: string[] = [];
  const typed = new Set(head.map((w) => w.term));
  for (const ending of endings) {
    if (terms.length >= options.limit) break;
    if (typed.has(ending)) continue;
    const completed = [...head.map((w) => ({ term: w.term, prefix: false })), { term: ending, prefix: false }];
    if (index.match(completed).candidates.length > 0) terms.push(completed.map((w) => w.term).join(' '));
  }

  // Popular queries that start like this one and still find something (junk and dead queries are counted too).
  const folded = fold(q).trim();
  const popular: string[] = [];
  for (const candidate of options.popular()) {
    if (popular.length >= options.limit) break;
    const text = fold(candidate);
    if (text.startsWith(folded) && text !== folded && index.match(parseQuery(`${candidate} `)).candidates.length > 0) popular.push(candidate);
  }

  const { candidates, matchedTerms } = index.match(words);
  const best = selectTop(candidates, options.limit, (a, b) => b.score - a.score || b.product.popularity - a.product.popularity || (a.product.id < b.product.id ? -1 : 1));
  return {
    q,
    terms,
    popular,
    products: best.map((c) => ({
      id: c.product.id,
      sku: c.product.sku,
      name: c.product.name,
      highlights: highlightsOf({ name: c.product.name, sku: c.product.sku, brand: c.product.brand }, matchedTerms),
    })),
  };
}
