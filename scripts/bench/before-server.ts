// The benchmark's "before" (BRIEF §5, seed 002): what a shop like this usually starts as. One Node
// process on a direct port, Express with mongoose documents (no lean, no projections), no cache,
// no compression, and a database without secondary indexes (only _id). Search is a
// case-insensitive regular expression over name, brand and description; an order reads the
// product, checks a stock row and saves it back, then writes the order. It answers the same paths
// as the real services so the same request streams run against it.
// `node before-server.ts` with BENCH_MONGODB_URI, BENCH_DB, JWT_SECRET set; reports its port over IPC.
import { connectMongo, shopModels } from '@shop/db';
import { createAuth } from '@shop/service-kit';
import express, { type NextFunction, type Request, type Response } from 'express';

const uri = process.env.BENCH_MONGODB_URI;
const dbName = process.env.BENCH_DB;
const secret = process.env.JWT_SECRET;
if (!uri || !dbName || !secret) throw new Error('before-server is started by scripts/bench.ts (BENCH_MONGODB_URI, BENCH_DB, JWT_SECRET)');

const connection = await connectMongo({ uri, dbName });
const { Product, Category, Stock, Order } = shopModels(connection);
const auth = createAuth(secret);
const app = express();
app.use(express.json());

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const SORTS: Record<string, Record<string, 1 | -1>> = { popularity: { popularity: -1 }, price: { priceCents: 1 }, '-price': { priceCents: -1 }, newest: { createdAt: -1 } };

app.get('/api/catalog/products/:id', async (req: Request, res: Response) => {
  const product = await Product.findById(req.params.id);
  if (!product) return void res.status(404).json({ error: 'not found' });
  res.json(product);
});

app.get('/api/catalog/products', async (req: Request, res: Response) => {
  const q = req.query as Record<string, string | undefined>;
  const filter: Record<string, unknown> = {};
  if (q.category) filter.categoryId = (await Category.findOne({ slug: q.category }))?._id;
  if (q.brand) filter.brand = q.brand;
  if (q.inStock === 'true') filter.stockTotal = { $gt: 0 };
  const page = Math.max(1, Number(q.page ?? 1));
  const limit = Math.min(100, Number(q.limit ?? 20));
  const [items, total] = await Promise.all([
    Product.find(filter).sort(SORTS[q.sort ?? 'popularity'] ?? SORTS.popularity).skip((page - 1) * limit).limit(limit),
    Product.countDocuments(filter),
  ]);
  res.json({ items, total, page, limit });
});

app.get('/api/search', async (req: Request, res: Response) => {
  const text = String(req.query.q ?? '');
  const pattern = new RegExp(escape(text), 'i');
  const filter = { $or: [{ name: pattern }, { brand: pattern }, { description: pattern }] };
  const [hits, total] = await Promise.all([Product.find(filter).limit(20), Product.countDocuments(filter)]);
  res.json({ q: text, total, hits });
});

app.post('/api/orders', async (req: Request, res: Response) => {
  const token = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1];
  const user = token ? await auth.verify(token).catch(() => null) : null;
  if (!user) return void res.status(401).json({ error: 'unauthenticated' });
  const lines = [];
  for (const item of (req.body as { items: { productId: string; quantity: number }[] }).items) {
    const product = await Product.findById(item.productId);
    if (!product) return void res.status(422).json({ error: 'unknown product' });
    const stock = await Stock.findOne({ productId: product._id, quantity: { $gte: item.quantity } });
    if (!stock) return void res.status(409).json({ error: 'out of stock' });
    stock.quantity -= item.quantity;
    await stock.save();
    lines.push({ productId: product._id, sku: product.sku, name: product.name, quantity: item.quantity, unitPriceCents: product.priceCents, lineTotalCents: product.priceCents * item.quantity, warehouse: stock.warehouse });
  }
  const order = await Order.create({
    customerId: user.id,
    idempotencyId: `${user.id}:${req.get('idempotency-key') ?? Date.now()}`,
    status: 'pending',
    paymentStatus: 'unpaid',
    lines,
    totalCents: lines.reduce((sum, line) => sum + line.lineTotalCents, 0),
    currency: 'USD',
  });
  res.status(201).json(order);
});

app.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
  res.status(500).json({ error: error.message });
});

const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
});
process.on('SIGTERM', () => {
  server.close();
  void connection.close().finally(() => process.exit(0));
});
