/** The JSON the storefront reads from the catalog, search and order APIs (their OpenAPI documents). */

export interface Image {
  url: string;
  alt: string;
}

export interface Category {
  id: string;
  slug: string;
  name: string;
}

export interface ProductSummary {
  id: string;
  sku: string;
  name: string;
  brand: string;
  categoryId: string;
  priceCents: number;
  currency: string;
  images: Image[];
  rating: { average: number; count: number };
  stockTotal: number;
  inStock: boolean;
}

export interface Product extends ProductSummary {
  description: string;
  attributes: Record<string, string | number | boolean>;
}

export interface ProductPage {
  items: ProductSummary[];
  page: number;
  limit: number;
  total: number;
  hasMore: boolean;
}

export interface Highlight {
  field: string;
  text: string;
  ranges: [number, number][];
}

export interface SearchHit {
  id: string;
  sku: string;
  name: string;
  brand: string;
  category: { id: string; slug: string; name: string };
  priceCents: number;
  currency: string;
  inStock: boolean;
  rating: { average: number; count: number };
  image: Image | null;
  highlights: Highlight[];
}

export interface FacetValue {
  value: string;
  label: string;
  count: number;
}

export interface PriceBucket {
  min: number;
  max: number | null;
  count: number;
}

export interface SearchResult {
  q: string;
  total: number;
  page: number;
  limit: number;
  pages: number;
  sort: string;
  hits: SearchHit[];
  facets: { category: FacetValue[]; brand: FacetValue[]; price: PriceBucket[] };
}

export interface Suggestions {
  q: string;
  terms: string[];
  popular: string[];
  products: { id: string; sku: string; name: string; highlights: Highlight[] }[];
}

export interface OrderLine {
  productId: string;
  sku: string;
  name: string;
  quantity: number;
  unitPriceCents: number;
  lineTotalCents: number;
}

export interface Order {
  id: string;
  status: string;
  lines: OrderLine[];
  totalCents: number;
  currency: string;
  createdAt: string;
}

export interface OrderPage {
  items: Order[];
  nextCursor: string | null;
}

export interface DemoSession {
  token: string;
  customerId: string;
  expiresAt: string;
}
