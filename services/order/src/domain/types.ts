/** Orders as the API and use cases see them: plain objects, ids as hex strings. */
export type OrderStatus = 'pending' | 'paid' | 'shipped' | 'delivered' | 'cancelled';

export interface OrderLine {
  productId: string;
  sku: string;
  name: string;
  quantity: number;
  unitPriceCents: number;
  lineTotalCents: number;
  warehouse: string;
  restocked?: boolean;
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
