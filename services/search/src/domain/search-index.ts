import { isNumeric, MAX_TERM_LENGTH, terms, tokenize } from './text.ts';
import { oneEditVariants, TYPO_MIN_LENGTH } from './typos.ts';
import type { CategoryRef, SearchableProduct } from './types.ts';

/** Fields a term can occur in, one bit each (a posting carries the set for its product). */
export const FIELD = { sku: 1, name: 2, brand: 4, category: 8, attributes: 16, description: 32 } as const;
export type FieldName = keyof typeof FIELD;
const FIELD_BITS = 6;
const FIELD_MASK = (1 << FIELD_BITS) - 1;

/**
 * Field weights. A word found in the name or SKU counts eight times one found only in the
 * description, so a typo in the name (8 × 1) still outranks an exact description match (1 × 3).
 */
const WEIGHT: Record<FieldName, number> = { sku: 8, name: 8, brand: 6, category: 5, attributes: 2, description: 1 };

/** How a query word met an indexed term. */
export const QUALITY = { exact: 3, prefix: 2, typo: 1 } as const;

/** A prefix expands to at most this many terms (the most frequent), so "a" costs what "ab" costs. */
export const PREFIX_EXPANSIONS = 50;
/** Expansions remembered at most (then forgotten all at once). */
const MAX_REMEMBERED_EXPANSIONS = 10_000;
/** Query words beyond this are ignored. */
export const MAX_QUERY_TERMS = 10;

/** Best weight per field set, precomputed for all 64 sets. */
const BEST_WEIGHT = Int32Array.from({ length: 1 << FIELD_BITS }, (_, mask) =>
  Math.max(0, ...(Object.keys(FIELD) as FieldName[]).filter((f) => mask & FIELD[f]).map((f) => WEIGHT[f])),
);

export function fieldNames(mask: number): FieldName[] {
  return (Object.keys(FIELD) as FieldName[]).filter((f) => mask & FIELD[f]);
}

/** A growable list of int32, 4 bytes an entry. */
class IntList {
  data = new Int32Array(4);
  length = 0;
  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Int32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }
}

interface Posting {
  /** slot << FIELD_BITS | fields, in slot order (slots are only ever appended). */
  list: IntList;
  /** Every field the term was ever seen in (suggestions use name, brand and category terms). */
  fields: number;
}

export interface QueryTerm {
  term: string;
  /** Also match terms that start with it (the word being typed). */
  prefix: boolean;
}

export interface Expansion {
  term: string;
  quality: number;
}

/** An expansion with the posting list it reads (valid while the postings are unchanged). */
interface ResolvedExpansion extends Expansion {
  list: IntList;
}

export interface Candidate {
  /** Where the product sits in the index (for facet counting). */
  slot: number;
  product: SearchableProduct;
  score: number;
  /** Fields a query word matched in (FIELD bits). */
  fields: number;
}

export interface MatchResult {
  candidates: Candidate[];
  /** Every indexed term that matched some query word. */
  matchedTerms: Set<string>;
}

/**
 * The query's words: folded, at most MAX_QUERY_TERMS, duplicates dropped. The last word is a
 * prefix unless the query ends in a separator (the user finished typing it).
 */
export function parseQuery(q: string): QueryTerm[] {
  const tokens = tokenize(q);
  const lastEnd = tokens.at(-1)?.end;
  const out = new Map<string, QueryTerm>();
  tokens.forEach((token, i) => {
    const prefix = lastEnd === q.length && i === tokens.length - 1;
    const seen = out.get(token.term);
    if (seen) seen.prefix ||= prefix;
    else if (out.size < MAX_QUERY_TERMS) out.set(token.term, { term: token.term, prefix });
  });
  return [...out.values()];
}

/**
 * An in-memory inverted index over products: term → postings (product slot and the fields the
 * term occurs in), a sorted vocabulary for prefixes, and the alphabet for typo candidates.
 *
 * Writes replace a product by appending it to a new slot and leaving the old slot dead, so
 * posting lists stay sorted and are only ever appended to; when dead slots reach a quarter of
 * the live ones the index rebuilds itself. Matching is synchronous and allocation-light: score
 * buffers are reused across queries (one query at a time per process).
 */
export class SearchIndex {
  private slots: (SearchableProduct | undefined)[] = [];
  private readonly slotById = new Map<string, number>();
  private postings = new Map<string, Posting>();
  /** Every term, sorted (for prefixes); terms added since the last prefix lookup wait in `newTerms`. */
  private vocabulary: string[] = [];
  private newTerms: string[] = [];
  private readonly alphabetSet = new Set<string>();
  private alphabet: string[] = [];
  private readonly categories = new Map<string, CategoryRef>();
  private dead = 0;
  /** Brand and category of each slot as small numbers, so facets count into arrays, not maps. */
  private readonly brands = new Ordinals();
  private readonly categoryIds = new Ordinals();
  private brandOf = new Int32Array(1024);
  private categoryOf = new Int32Array(1024);
  /** Bumped on every change that can alter a search answer. */
  version = 0;
  /** Bumped whenever a posting list changes (expansions and frequencies may differ then). */
  private postingChanges = 0;
  private readonly expansions = new Map<string, ResolvedExpansion[]>();
  private expansionsAt = -1;

  // Scratch buffers for match(), sized to the slot count.
  private best = new Int32Array(0);
  private score = new Int32Array(0);
  private matchedWords = new Uint8Array(0);
  private fieldsSeen = new Uint8Array(0);
  private firstTouched = new Int32Array(0);
  private laterTouched = new Int32Array(0);

  get size(): number {
    return this.slotById.size;
  }

  get(id: string): SearchableProduct | undefined {
    const slot = this.slotById.get(id);
    return slot === undefined ? undefined : this.slots[slot];
  }

  ids(): IterableIterator<string> {
    return this.slotById.keys();
  }

  category(id: string): CategoryRef | undefined {
    return this.categories.get(id);
  }

  categoryBySlug(slug: string): CategoryRef | undefined {
    for (const category of this.categories.values()) if (category.slug === slug) return category;
    return undefined;
  }

  hasCategory(id: string): boolean {
    return this.categories.has(id);
  }

  /**
   * Replaces the category list. Products already indexed under a category whose name changed are
   * re-indexed so its words match them.
   */
  setCategories(categories: readonly CategoryRef[]): void {
    // Renamed categories, and new ones that products were indexed under before it was known.
    const renamed = new Set<string>();
    for (const category of categories) {
      const before = this.categories.get(category.id);
      if (!before || before.name !== category.name || before.slug !== category.slug) renamed.add(category.id);
      this.categories.set(category.id, category);
    }
    if (renamed.size > 0 && this.slots.every((p) => !p || !renamed.has(p.categoryId))) return;
    if (renamed.size === 0) return;
    this.version++;
    for (const product of [...this.slots]) if (product && renamed.has(product.categoryId)) this.reindex(product);
  }

  /**
   * Adds or replaces a product. 'unchanged' when nothing a search shows or matches differs, so
   * a write elsewhere (a stock count that stays above zero) does not drop cached answers.
   */
  upsert(product: SearchableProduct): 'added' | 'changed' | 'unchanged' {
    const slot = this.slotById.get(product.id);
    const before = slot === undefined ? undefined : this.slots[slot];
    if (slot === undefined || !before) {
      this.append(product);
      this.version++;
      return 'added';
    }
    if (sameText(before, product)) {
      this.slots[slot] = product;
      if (sameShown(before, product)) return 'unchanged';
      this.version++;
      return 'changed';
    }
    this.reindex(product);
    this.version++;
    return 'changed';
  }

  remove(id: string): boolean {
    const slot = this.slotById.get(id);
    if (slot === undefined) return false;
    this.slotById.delete(id);
    this.slots[slot] = undefined;
    this.dead++;
    this.version++;
    this.compactIfWorthIt();
    return true;
  }

  /**
   * What each query word expands to: itself, completions when it is a prefix, one-typo
   * neighbours. Remembered until the postings change (people search the same words again and
   * again; the typo candidates alone are hundreds of lookups per word). Do not modify the result.
   */
  expand(word: QueryTerm): readonly ResolvedExpansion[] {
    if (this.expansionsAt !== this.postingChanges) {
      this.expansions.clear();
      this.expansionsAt = this.postingChanges;
    }
    const key = word.prefix ? `${word.term}*` : word.term;
    let found = this.expansions.get(key);
    if (!found) {
      if (this.expansions.size >= MAX_REMEMBERED_EXPANSIONS) this.expansions.clear();
      found = this.computeExpansions(word);
      this.expansions.set(key, found);
    }
    return found;
  }

  private computeExpansions(word: QueryTerm): ResolvedExpansion[] {
    const out: Expansion[] = [];
    if (this.postings.has(word.term)) out.push({ term: word.term, quality: QUALITY.exact });
    if (word.prefix) for (const term of this.completions(word.term, PREFIX_EXPANSIONS)) out.push({ term, quality: QUALITY.prefix });
    if (word.term.length >= TYPO_MIN_LENGTH && !isNumeric(word.term)) {
      const taken = new Set(out.map((e) => e.term));
      for (const variant of oneEditVariants(word.term, this.typoAlphabet(word.term))) {
        if (!taken.has(variant) && this.postings.has(variant)) out.push({ term: variant, quality: QUALITY.typo });
      }
    }
    return out.map((e) => ({ ...e, list: this.postings.get(e.term)?.list ?? new IntList() }));
  }

  /**
   * Characters a typo may insert or swap in: the index's own letters and digits of the Latin
   * alphabet, plus the word's own characters. Bounded whatever scripts the catalog holds, so a
   * query costs at most ~2 · 40 · (n + 1) lookups per word.
   */
  private typoAlphabet(word: string): string[] {
    const latin = this.alphabet.filter((c) => (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
    const extra = [...new Set(word)].filter((c) => !latin.includes(c) && this.alphabetSet.has(c));
    return extra.length > 0 ? [...latin, ...extra] : latin;
  }

  /** Fields `term` was ever seen in (FIELD bits); 0 for an unknown term. */
  termFields(term: string): number {
    return this.postings.get(term)?.fields ?? 0;
  }

  /**
   * Terms starting with `prefix` (not `prefix` itself), the most frequent first, at most `limit`;
   * `fields` keeps only terms seen in those fields.
   */
  completions(prefix: string, limit: number, fields = FIELD_MASK): string[] {
    this.mergeNewTerms();
    const from = lowerBound(this.vocabulary, prefix);
    const found: { term: string; df: number }[] = [];
    for (let i = from; i < this.vocabulary.length; i++) {
      const term = this.vocabulary[i] ?? '';
      if (!term.startsWith(prefix)) break;
      const posting = this.postings.get(term);
      if (term !== prefix && posting && posting.fields & fields) found.push({ term, df: posting.list.length });
    }
    found.sort((a, b) => b.df - a.df || (a.term < b.term ? -1 : 1));
    return found.slice(0, limit).map((f) => f.term);
  }

  /**
   * Products matching every query word (each word through any of its expansions), scored by
   * the sum over words of the best (quality × field weight) that word reached in the product.
   * No words: every product, score 0. Only products `keep` accepts become candidates (filters
   * run before anything is allocated for a product).
   */
  match(words: readonly QueryTerm[], keep: (product: SearchableProduct) => boolean = () => true): MatchResult {
    const matchedTerms = new Set<string>();
    if (words.length === 0) {
      const candidates: Candidate[] = [];
      this.slots.forEach((product, slot) => {
        if (product && keep(product)) candidates.push({ slot, product, score: 0, fields: 0 });
      });
      return { candidates, matchedTerms };
    }
    // Each word's expansions with their posting lists; rarest word first: it bounds the
    // candidate set, which every later word can only shrink.
    const order = words
      .map((word, i) => {
        const lists = this.expand(word);
        let cost = 0;
        for (const e of lists) cost += e.list.length;
        return { lists, cost, i };
      })
      .sort((a, b) => a.cost - b.cost || a.i - b.i);
    if (order.some((w) => w.cost === 0)) return { candidates: [], matchedTerms };

    this.ensureScratch();
    const { best, score, matchedWords, fieldsSeen, firstTouched, laterTouched } = this;
    // Slots reached by the current word, each once: in firstTouched for the first word, then in
    // laterTouched (a later word only ever reaches slots the first one did).
    let touched = firstTouched;
    let firstCount = 0;
    let count = 0;
    for (const [w, { lists }] of order.entries()) {
      touched = w === 0 ? firstTouched : laterTouched;
      count = 0;
      for (const { term, quality, list } of lists) {
        const { data, length } = list;
        let hit = false;
        for (let k = 0; k < length; k++) {
          const entry = data[k] ?? 0;
          const slot = entry >>> FIELD_BITS;
          if (matchedWords[slot] !== w) continue;
          const mask = entry & FIELD_MASK;
          const s = quality * (BEST_WEIGHT[mask] ?? 0);
          const previous = best[slot] ?? 0;
          // Every posting carries a field, so s > 0 and a slot is counted once per word.
          if (previous === 0) touched[count++] = slot;
          if (s > previous) best[slot] = s;
          fieldsSeen[slot] = (fieldsSeen[slot] ?? 0) | mask;
          hit = true;
        }
        if (hit) matchedTerms.add(term);
      }
      for (let t = 0; t < count; t++) {
        const slot = touched[t] ?? 0;
        score[slot] = (score[slot] ?? 0) + (best[slot] ?? 0);
        best[slot] = 0;
        matchedWords[slot] = w + 1;
      }
      if (w === 0) firstCount = count;
      if (count === 0) break;
    }
    const matched: Candidate[] = [];
    for (let t = 0; t < count; t++) {
      const slot = touched[t] ?? 0;
      const product = this.slots[slot];
      if (product && matchedWords[slot] === order.length) matched.push({ slot, product, score: score[slot] ?? 0, fields: fieldsSeen[slot] ?? 0 });
    }
    // Every slot ever touched was touched by the first word: reset those (before any caller code runs).
    for (let t = 0; t < firstCount; t++) {
      const slot = firstTouched[t] ?? 0;
      score[slot] = 0;
      matchedWords[slot] = 0;
      fieldsSeen[slot] = 0;
    }
    return { candidates: matched.filter((c) => keep(c.product)), matchedTerms };
  }

  /** How many candidates have each brand and each category id. */
  countFacets(candidates: readonly Candidate[]): { brands: Map<string, number>; categoryIds: Map<string, number> } {
    const byBrand = new Int32Array(this.brands.size);
    const byCategory = new Int32Array(this.categoryIds.size);
    for (const { slot } of candidates) {
      const b = this.brandOf[slot] ?? 0;
      const c = this.categoryOf[slot] ?? 0;
      byBrand[b] = (byBrand[b] ?? 0) + 1;
      byCategory[c] = (byCategory[c] ?? 0) + 1;
    }
    return { brands: this.brands.counted(byBrand), categoryIds: this.categoryIds.counted(byCategory) };
  }

  /** Approximate heap held by the index structures (not the product objects), bytes. */
  postingBytes(): number {
    let bytes = 0;
    for (const posting of this.postings.values()) bytes += posting.list.data.byteLength;
    return bytes;
  }

  get termCount(): number {
    return this.postings.size;
  }

  private append(product: SearchableProduct): void {
    const slot = this.slots.length;
    if (slot >= 2 ** (31 - FIELD_BITS)) throw new Error('search index full: rebuild needed');
    this.slots.push(product);
    this.slotById.set(product.id, slot);
    if (slot >= this.brandOf.length) {
      this.brandOf = grow(this.brandOf);
      this.categoryOf = grow(this.categoryOf);
    }
    this.brandOf[slot] = this.brands.of(product.brand);
    this.categoryOf[slot] = this.categoryIds.of(product.categoryId);
    for (const [term, fields] of this.termsOf(product)) this.post(term, slot, fields);
  }

  private reindex(product: SearchableProduct): void {
    const slot = this.slotById.get(product.id);
    if (slot !== undefined) {
      this.slots[slot] = undefined;
      this.slotById.delete(product.id);
      this.dead++;
    }
    this.append(product);
    this.compactIfWorthIt();
  }

  private termsOf(product: SearchableProduct): Map<string, number> {
    const fields = new Map<string, number>();
    const add = (text: string, field: number): void => {
      for (const term of terms(text)) fields.set(term, (fields.get(term) ?? 0) | field);
    };
    add(product.sku, FIELD.sku);
    // The SKU whole as well ("lap-000013" → "lap000013"), so it matches typed with or without its dash.
    const joined = terms(product.sku).join('').slice(0, MAX_TERM_LENGTH);
    if (joined) fields.set(joined, (fields.get(joined) ?? 0) | FIELD.sku);
    add(product.name, FIELD.name);
    add(product.brand, FIELD.brand);
    const category = this.categories.get(product.categoryId);
    if (category) add(category.name, FIELD.category);
    for (const value of Object.values(product.attributes)) if (typeof value === 'string') add(value, FIELD.attributes);
    add(product.description, FIELD.description);
    return fields;
  }

  private post(term: string, slot: number, fields: number): void {
    let posting = this.postings.get(term);
    if (!posting) {
      posting = { list: new IntList(), fields: 0 };
      this.postings.set(term, posting);
      this.newTerms.push(term);
      for (const char of term) {
        if (!this.alphabetSet.has(char)) {
          this.alphabetSet.add(char);
          this.alphabet = [...this.alphabetSet].sort();
        }
      }
    }
    posting.list.push((slot << FIELD_BITS) | fields);
    this.postingChanges++;
    posting.fields |= fields;
  }

  /** A few new terms are inserted in place; a bulk load's worth is merged with one sort. */
  private mergeNewTerms(): void {
    if (this.newTerms.length === 0) return;
    if (this.newTerms.length <= 64) {
      for (const term of this.newTerms) this.vocabulary.splice(lowerBound(this.vocabulary, term), 0, term);
    } else {
      this.vocabulary = this.vocabulary.concat(this.newTerms).sort();
    }
    this.newTerms = [];
  }

  private ensureScratch(): void {
    const n = this.slots.length;
    if (this.best.length >= n) return;
    const size = Math.max(1024, n * 2);
    this.best = new Int32Array(size);
    this.score = new Int32Array(size);
    this.matchedWords = new Uint8Array(size);
    this.fieldsSeen = new Uint8Array(size);
    this.firstTouched = new Int32Array(size);
    this.laterTouched = new Int32Array(size);
  }

  /** Rebuilds postings from the live products once dead slots reach a quarter of live ones. */
  private compactIfWorthIt(): void {
    if (this.dead < Math.max(1_024, this.slotById.size / 4)) return;
    const live = this.slots.filter((p): p is SearchableProduct => p !== undefined);
    this.slots = [];
    this.slotById.clear();
    this.postings = new Map();
    this.vocabulary = [];
    this.newTerms = [];
    this.postingChanges++;
    this.expansions.clear();
    this.dead = 0;
    this.best = new Int32Array(0);
    for (const product of live) this.append(product);
  }
}

/** Distinct strings numbered in order of first sight. */
class Ordinals {
  private readonly numbers = new Map<string, number>();
  private readonly values: string[] = [];
  get size(): number {
    return this.values.length;
  }
  of(value: string): number {
    let n = this.numbers.get(value);
    if (n === undefined) {
      n = this.values.length;
      this.numbers.set(value, n);
      this.values.push(value);
    }
    return n;
  }
  /** The values with a non-zero count in `counts` (indexed by ordinal). */
  counted(counts: Int32Array): Map<string, number> {
    const out = new Map<string, number>();
    counts.forEach((count, n) => {
      const value = this.values[n];
      if (count > 0 && value !== undefined) out.set(value, count);
    });
    return out;
  }
}

function grow(array: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const grown = new Int32Array(array.length * 2);
  grown.set(array);
  return grown;
}

/** Same words in the same fields: postings can stay. */
function sameText(a: SearchableProduct, b: SearchableProduct): boolean {
  return (
    a.sku === b.sku &&
    a.name === b.name &&
    a.brand === b.brand &&
    a.categoryId === b.categoryId &&
    a.description === b.description &&
    sameStrings(a.attributes, b.attributes)
  );
}

/** Nothing a hit shows, a filter tests or a sort reads differs. */
function sameShown(a: SearchableProduct, b: SearchableProduct): boolean {
  return (
    a.priceCents === b.priceCents &&
    a.currency === b.currency &&
    a.popularity === b.popularity &&
    a.inStock === b.inStock &&
    a.rating.average === b.rating.average &&
    a.rating.count === b.rating.count &&
    a.createdAt === b.createdAt &&
    a.image?.url === b.image?.url &&
    a.image?.alt === b.image?.alt
  );
}

function sameStrings(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => a[k] === b[k]);
}

/** First index whose element is ≥ `value`. */
function lowerBound(sorted: readonly string[], value: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] ?? '') < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
