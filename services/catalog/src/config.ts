import { baseConfigFields, loadConfig, portSetting, withSecrets } from '@shop/service-kit';
import { z } from 'zod';

/** Every setting of the catalog service, validated once at start (see README "Configuration"). */
export const catalogConfigSchema = z
  .object({
    ...baseConfigFields,
    CATALOG_PORT: portSetting(3001),
  })
  .transform(withSecrets);

export type CatalogConfig = z.output<typeof catalogConfigSchema>;

export function loadCatalogConfig(env: NodeJS.ProcessEnv = process.env): CatalogConfig {
  return loadConfig(catalogConfigSchema, env);
}
