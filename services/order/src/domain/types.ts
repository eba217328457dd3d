/** Orders as the API and use cases see them: plain objects, ids as hex strings. */
export type OrderStatus = 'pending' | 'paid' | 'shipped' | 'delivered' | 'cancelled';

/** Units of a line taken from one warehouse's stock row. */
export interface Allocation {
  warehouse: string;
  quantity: number;
}

export interface OrderLine {
  productId: string;
  sku: string;
  name: string;
  quantity: number;
  unitPriceCents: number;
  lineTotalCents: number;
  /** Where the units came from: distinct warehouses, adding up to `quantity`, in the order they were taken. */
  allocations: Allocation[];
  restocked?: boolean;
}

/** A line priced from the catalog, before any stock is reserved for it. */
export type PricedLine = Omit<OrderLine, 'allocations' | 'restocked'>;

/** A stock row as reservation sees it: what it holds now and the holds of orders in flight. */
export interface StockRowView {
  warehouse: string;
  quantity: number;
  holds: { orderId: string; quantity: number; at: Date }[];
}

export interface Order {
  id: string;
  customerId: string;
  status: OrderStatus;
  paymentStatus: 'unpaid' | 'paid' | 'refunded';
  lines: OrderLine[];
  totalCents: number;
  currency: string;
  createdAt: string;
  updatedAt: string;
}

/** One requested line: a product by id or by sku, and how many. */
export interface RequestedLine {
  productId?: string | undefined;
  sku?: string | undefined;
  quantity: number;
}

export interface PricedProduct {
  id: string;
  sku: string;
  name: string;
  priceCents: number;
  currency: string;
}

export interface OrderPage {
  items: Order[];
  nextCursor: string | null;
}
