import { baseConfigFields, loadConfig, portSetting, withSecrets } from '@shop/service-kit';
import { z } from 'zod';

/** Every setting of the catalog service, validated once at start (see README "Configuration"). */
export const catalogConfigSchema = z
  .object({
    ...baseConfigFields,
    CATALOG_PORT: portSetting(3001),
    /**
     * How long a cached read keeps being served after it went stale while the database fails
     * (stale-if-error), past its fresh life. After that the read answers an honest 503.
     */
    CACHE_STALE_IF_ERROR_MS: z.coerce.number().int().min(0).max(86_400_000).default(600_000),
    /** Most bytes this worker's L1 holds (estimated per entry); least recently used go first. */
    CACHE_L1_MAX_BYTES: z.coerce.number().int().min(65_536).max(4_294_967_296).default(128 * 1024 * 1024),
  })
  .transform(withSecrets);

export type CatalogConfig = z.output<typeof catalogConfigSchema>;

export function loadCatalogConfig(env: NodeJS.ProcessEnv = process.env): CatalogConfig {
  return loadConfig(catalogConfigSchema, env);
}
