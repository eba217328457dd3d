export {
  connectMongo,
  connectMongoFromConfig,
  DEFAULT_MONGODB_URI,
  mongoUriFrom,
  pingMongo,
  type MongoConnectionOptions,
  type MongoDriverClient,
  type MongoSettings,
} from './connection.ts';
export { identifyServer, isReachable } from './identify-server.ts';
export { logMongoTransitions, type TransitionLogger } from './log-transitions.ts';
export { watchMongo, type MongoWatchdog, type MongoWatchdogOptions } from './mongo-watchdog.ts';
export { connectServiceMongo } from './service-mongo.ts';
export { resolveMongo, type ResolvedMongo, type MongoSource } from './resolve-server.ts';
export {
  checkIndexes,
  applyIndexes,
  ensureIndexes,
  dropIndexes,
  prepareDatabase,
  declaredIndexes,
  DEFAULT_PROGRESS_EVERY_MS,
  type IndexDrift,
} from './index-sync.ts';
export {
  claimDatabaseIfNew,
  readDatabaseMarker,
  META_COLLECTION,
} from './database-marker.ts';
export {
  cancelledNotRestockedQuery,
  expiredReturnsQuery,
  productsChangedSinceQuery,
  productVersionsQuery,
  staleHoldsQuery,
} from './periodic-queries.ts';
export { shopModels, type ShopModels } from './models.ts';
export { indexFits, servingIndex, type QueryShape } from './index-fit.ts';
export type { IndexDefinition } from './index-definition.ts';
export type { CategoryDoc } from './collections/categories/schema.ts';
export type { ProductDoc, ProductImage } from './collections/products/schema.ts';
export type { StockDoc, StockHold } from './collections/stock/schema.ts';
export { ORDER_STATUSES, PAYMENT_STATUSES, type OrderDoc, type OrderLine, type OrderStatus, type PaymentStatus } from './collections/orders/schema.ts';
export type { IdempotencyDoc } from './collections/idempotency/schema.ts';
export { hotQueries, type HotQuery } from './hot-queries.ts';
