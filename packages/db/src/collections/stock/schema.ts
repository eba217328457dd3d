import { Schema, type Types } from 'mongoose';
import { applyIndexes, type IndexDefinition } from '../../index-definition.ts';

/** Units of one product held in one warehouse. */
export interface StockDoc {
  _id: Types.ObjectId;
  productId: Types.ObjectId;
  warehouse: string;
  quantity: number;
  updatedAt: Date;
  createdAt: Date;
}

export const stockIndexes: readonly IndexDefinition<StockDoc>[] = [
  {
    name: 'product_warehouse_unique',
    key: { productId: 1, warehouse: 1 },
    options: { unique: true },
    serves:
      'PUT /products/:id/stock/:warehouse — updateOne({ productId, warehouse }, upsert); ' +
      'GET /products/:id/stock — find({ productId }); one row per product and warehouse',
  },
  {
    name: 'product_available',
    key: { productId: 1, quantity: -1 },
    options: { partialFilterExpression: { quantity: { $gt: 0 } } },
    serves:
      'reservation — findOneAndUpdate({ productId, quantity: { $gte: n } }, { $inc: { quantity: -n } }): ' +
      'warehouses with stock > 0 for a product, fullest first',
  },
];

export const stockSchema = new Schema<StockDoc>(
  {
    productId: { type: Schema.Types.ObjectId, required: true },
    warehouse: { type: String, required: true, trim: true, maxlength: 40 },
    quantity: { type: Number, required: true, min: 0 },
  },
  { collection: 'stock', timestamps: true, autoIndex: false, strict: 'throw', versionKey: false },
);
applyIndexes(stockSchema, stockIndexes);
