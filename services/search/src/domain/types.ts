/** A product as search holds it: what it matches on, filters by, sorts by and shows in a hit. */
export interface SearchableProduct {
  id: string;
  sku: string;
  name: string;
  description: string;
  brand: string;
  categoryId: string;
  priceCents: number;
  currency: string;
  popularity: number;
  rating: { average: number; count: number };
  inStock: boolean;
  image: { url: string; alt: string } | null;
  attributes: Record<string, string | number | boolean>;
  /** Epoch ms. */
  createdAt: number;
  updatedAt: number;
}

export interface CategoryRef {
  id: string;
  slug: string;
  name: string;
}

export const SEARCH_SORTS = ['relevance', 'popularity', 'price', '-price', 'newest', 'rating'] as const;
export type SearchSort = (typeof SEARCH_SORTS)[number];

export interface SearchQuery {
  q: string;
  /** Category slug. */
  category?: string;
  /** Brand, compared case-insensitively. */
  brand?: string;
  minPrice?: number;
  maxPrice?: number;
  inStock?: boolean;
  /** Default: relevance with a query, popularity without. */
  sort?: SearchSort;
  page: number;
  limit: number;
}

export interface Highlight {
  field: 'name' | 'sku' | 'brand' | 'description';
  /** The field's text (for description, a window around the first match). */
  text: string;
  /** [start, end) offsets of matched words in `text`. */
  ranges: [number, number][];
}

export interface SearchHit {
  id: string;
  sku: string;
  name: string;
  brand: string;
  category: { id: string; slug: string; name: string } | null;
  priceCents: number;
  currency: string;
  inStock: boolean;
  rating: { average: number; count: number };
  popularity: number;
  image: { url: string; alt: string } | null;
  /** Relevance; equal scores are ordered by popularity, then id. */
  score: number;
  /** Fields a query word matched in. */
  matched: string[];
  highlights: Highlight[];
}

export interface FacetValue {
  value: string;
  label: string;
  count: number;
}

export interface PriceBucket {
  /** Inclusive lower bound, cents. */
  min: number;
  /** Exclusive upper bound, cents; null for the open top bucket. */
  max: number | null;
  count: number;
}

export interface SearchResult {
  q: string;
  total: number;
  page: number;
  limit: number;
  pages: number;
  sort: SearchSort;
  hits: SearchHit[];
  facets: { category: FacetValue[]; brand: FacetValue[]; price: PriceBucket[] };
}

export interface Suggestions {
  q: string;
  /** Completed or corrected queries, best first. */
  terms: string[];
  /** Popular queries that start like this one. */
  popular: string[];
  products: { id: string; sku: string; name: string; highlights: Highlight[] }[];
}
