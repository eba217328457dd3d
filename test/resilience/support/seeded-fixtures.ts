// What the hostile-input and auth suites build their valid baseline requests from: ids, slugs and
// orders taken from the seeded database, and a fingerprint of that database to show that refused
// requests changed nothing.
import { createHash } from 'node:crypto';
import type { ShopModels } from '@shop/db';
import type { ResilienceStack } from './resilience-stack.ts';
import { send } from './traffic.ts';

export interface SeededFixtures {
  /** The first seeded product, read by the baselines. */
  productId: string;
  sku: string;
  brand: string;
  categorySlug: string;
  /** Updated and given stock by the write baselines. */
  writeProductId: string;
  /** One of its stock rows. */
  warehouse: string;
  /** Deleted by the deleteProduct baseline. */
  deleteProductId: string;
  /** A product with plenty of stock (neither of the two above), for orders. */
  orderProductId: string;
  /** Orders the customer placed, through nginx, for the order baselines to read and change. */
  orders: string[];
}

/** Fixtures from `env`'s seeded data, with `orders` orders placed by `customerToken`. */
export async function seededFixtures(env: ResilienceStack, customerToken: string, options: { orders: number; keyPrefix: string }): Promise<SeededFixtures> {
  const { Product, Category, Stock } = env.models;
  const productId = env.productIds[0]!;
  const writeProductId = env.productIds[10]!;
  const deleteProductId = env.productIds[20]!;
  const product = await Product.findById(productId, { sku: 1, brand: 1, categoryId: 1 }).lean<{ sku: string; brand: string; categoryId: unknown }>();
  const category = await Category.findById(product!.categoryId, { slug: 1 }).lean<{ slug: string }>();
  const stockRow = await Stock.findOne({ productId: writeProductId }, { warehouse: 1 }).lean<{ warehouse: string }>();
  const stocked = await Product.findOne({ stockTotal: { $gte: 100 }, _id: { $nin: [writeProductId, deleteProductId] } }, { _id: 1 }).lean<{ _id: unknown }>();
  if (!product || !category || !stockRow || !stocked) throw new Error('the seeded data lacks a product, its category, a stock row or a well-stocked product');
  const orderProductId = String(stocked._id);
  const orders: string[] = [];
  for (let n = 1; n <= options.orders; n++) {
    const answer = await send(env.stack.edge, {
      kind: 'order',
      method: 'POST',
      path: '/api/orders',
      headers: { authorization: `Bearer ${customerToken}`, 'idempotency-key': `${options.keyPrefix}-${n}` },
      body: JSON.stringify({ items: [{ productId: orderProductId, quantity: 1 }] }),
    });
    if (answer.status !== 201) throw new Error(`placing fixture order ${n}: ${answer.status} ${answer.error ?? answer.body.slice(0, 200)}`);
    orders.push((JSON.parse(answer.body) as { id: string }).id);
  }
  return { productId, sku: product.sku, brand: product.brand, categorySlug: category.slug, writeProductId, warehouse: stockRow.warehouse, deleteProductId, orderProductId, orders };
}

/** Per collection: document count and a hash of every document, in _id order. */
export async function fingerprint(models: ShopModels): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(models).sort() as (keyof ShopModels)[]) {
    const docs: unknown[] = await (models[name] as unknown as ShopModels['Product']).find({}).sort({ _id: 1 }).lean();
    out[name] = `${docs.length} docs, sha256 ${createHash('sha256').update(JSON.stringify(docs)).digest('hex').slice(0, 16)}`;
  }
  return out;
}
