import type { Connection, Model, Schema } from 'mongoose';
import { categorySchema, type CategoryDoc } from './collections/categories/schema.ts';
import { idempotencySchema, type IdempotencyDoc } from './collections/idempotency/schema.ts';
import { orderSchema, type OrderDoc } from './collections/orders/schema.ts';
import { productSchema, type ProductDoc } from './collections/products/schema.ts';
import { stockSchema, type StockDoc } from './collections/stock/schema.ts';

export interface ShopModels {
  Category: Model<CategoryDoc>;
  Product: Model<ProductDoc>;
  Stock: Model<StockDoc>;
  Order: Model<OrderDoc>;
  Idempotency: Model<IdempotencyDoc>;
}

function modelOn<TDoc>(connection: Connection, name: string, schema: Schema<TDoc>): Model<TDoc> {
  return (connection.models[name] as Model<TDoc> | undefined) ?? connection.model<TDoc>(name, schema);
}

/** Registers (once) and returns the shop's models on one connection. */
export function shopModels(connection: Connection): ShopModels {
  return {
    Category: modelOn(connection, 'Category', categorySchema),
    Product: modelOn(connection, 'Product', productSchema),
    Stock: modelOn(connection, 'Stock', stockSchema),
    Order: modelOn(connection, 'Order', orderSchema),
    Idempotency: modelOn(connection, 'Idempotency', idempotencySchema),
  };
}
