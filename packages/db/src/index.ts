export { connectMongo, pingMongo, type MongoConnectionOptions } from './connection.ts';
export { identifyServer, isReachable } from './identify-server.ts';
export { resolveMongo, DEFAULT_MONGODB_URI, type ResolvedMongo, type MongoSource } from './resolve-server.ts';
export { checkIndexes, applyIndexes, declaredIndexes, type IndexDrift } from './index-sync.ts';
export { shopModels, type ShopModels } from './models.ts';
export type { IndexDefinition } from './index-definition.ts';
export type { CategoryDoc } from './collections/categories/schema.ts';
export type { ProductDoc, ProductImage } from './collections/products/schema.ts';
export type { StockDoc } from './collections/stock/schema.ts';
