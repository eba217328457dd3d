import type { ShopModels, StockDoc } from '@shop/db';
import { Types } from 'mongoose';
import type { CatalogStore } from '../domain/ports.ts';
import type { StockLevel } from '../domain/types.ts';

type StockRow = Pick<StockDoc, 'warehouse' | 'quantity' | 'updatedAt'>;

const toLevel = (row: StockRow): StockLevel => ({
  warehouse: row.warehouse,
  quantity: row.quantity,
  updatedAt: new Date(row.updatedAt).toISOString(),
});

export function stockRepository({ Stock }: ShopModels): CatalogStore['stock'] {
  return {
    async listForProduct(productId) {
      const rows = await Stock.find({ productId: new Types.ObjectId(productId) }, { warehouse: 1, quantity: 1, updatedAt: 1 })
        .sort({ warehouse: 1 })
        .lean<StockRow[]>();
      return rows.map(toLevel);
    },
    async set(productId, warehouse, quantity) {
      // Returns the row as it was before this write, so the caller can apply the exact delta.
      const before = await Stock.findOneAndUpdate(
        { productId: new Types.ObjectId(productId), warehouse: { $eq: warehouse } },
        { $set: { quantity } },
        { upsert: true, returnDocument: 'before', projection: { quantity: 1 } },
      ).lean<Pick<StockDoc, 'quantity'>>();
      return { previous: before?.quantity ?? 0, level: { warehouse, quantity, updatedAt: new Date().toISOString() } };
    },
    async deleteForProduct(productId) {
      await Stock.deleteMany({ productId: new Types.ObjectId(productId) });
    },
  };
}
