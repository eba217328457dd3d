import { baseConfigFields, loadConfig, portSetting, withSecrets } from '@shop/service-kit';
import { z } from 'zod';

/** Every setting of the search service, validated once at start (see README "Configuration"). */
export const searchConfigSchema = z
  .object({
    ...baseConfigFields,
    SEARCH_PORT: portSetting(3003),
    /**
     * Poll interval while Redis (and so the invalidation channel) is unavailable: the freshness
     * bound in that state. With Redis up, catalog writes reach the index in milliseconds.
     */
    SEARCH_POLL_MS: z.coerce.number().int().min(100).max(60_000).default(500),
    /** Safety-net poll interval while invalidations flow over Redis. */
    SEARCH_SAFETY_POLL_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(30_000),
    /** How many of the most popular searches are kept warm in the cache. */
    SEARCH_WARM_QUERIES: z.coerce.number().int().min(0).max(1_000).default(50),
  })
  .transform(withSecrets);

export type SearchConfig = z.output<typeof searchConfigSchema>;

export function loadSearchConfig(env: NodeJS.ProcessEnv = process.env): SearchConfig {
  return loadConfig(searchConfigSchema, env);
}
