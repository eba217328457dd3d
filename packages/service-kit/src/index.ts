export { AppError, notFound, conflict } from './app-error.ts';
export { baseConfigFields, withSecrets, loadConfig, portSetting, DEV_JWT_SECRET } from './config.ts';
export { createLogger, throttledWarn, type Logger } from './logger.ts';
export { parseInput, validationError, objectIdString, type InputSchemas, type ValidInput } from './validation.ts';
export {
  text,
  notTextKind,
  notTextCharacters,
  codePointName,
  isNfc,
  textCharacterSource,
  ONE_LINE_TEXT,
  MULTI_LINE_TEXT,
  ONE_LINE_TEXT_MESSAGE,
  MULTI_LINE_TEXT_MESSAGE,
  type TextOptions,
  type NotTextKind,
  type NotTextCharacter,
} from './text.ts';
export { findHostileKey, rejectHostileKeys } from './hostile-keys.ts';
export { errorHandler, notFoundHandler, toAppError } from './error-handler.ts';
export { createAuth, currentUser, ROLES, type Auth, type AuthUser, type Role } from './auth.ts';
export { createRedis, connectRedis, connectRedisFromConfig, closeRedis, pingRedis, type Redis } from './redis.ts';
export { createRateLimiter, rateLimiterFromConfig, type RateLimiter, type RateLimitHeaders, type RateLimitOptions } from './rate-limit.ts';
export { dependencyHealthChecks, healthRouter, type HealthCheck, type HealthRouterOptions, type DependencyStatus } from './health.ts';
export { parseProxyList, type ProxySettings } from './client-address.ts';
export { listen, type RunningHttpServer } from './http-server.ts';
export { installProcessHandlers, signalReady } from './process-handlers.ts';
export { createServiceApp, type ServiceApp, type ServiceAppOptions } from './create-app.ts';
export type { FastAnswers, InstantAdmission } from './fast-lane.ts';
export { requestDeadline } from './request-deadline.ts';
export { compressResponses, type CompressOptions } from './compress-responses.ts';
export { listenService, runService, type ListeningService } from './service-lifecycle.ts';
export { apiRoute, apiRouter, mountRoutes, openApiDocument, type ApiRoute, type AnyApiRoute, type HttpMethod } from './api-routes.ts';
export { parseQueryString, limitQueryParts, rawQuery, MAX_QUERY_PARTS } from './query-string.ts';
