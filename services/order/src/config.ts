import { baseConfigFields, loadConfig, portSetting, withSecrets } from '@shop/service-kit';
import { z } from 'zod';

/** Every setting of the order service, validated once at start (see README "Configuration"). */
export const orderConfigSchema = z
  .object({
    ...baseConfigFields,
    ORDER_PORT: portSetting(3002),
    /** How long an Idempotency-Key is remembered. Documented contract: 24 hours. */
    IDEMPOTENCY_RETENTION_HOURS: z.coerce.number().min(1).max(24 * 30).default(24),
    /** A reservation older than this without its order is released by reconciliation. */
    RESERVATION_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(60_000),
    /** How often each worker runs reconciliation. */
    RECONCILE_INTERVAL_MS: z.coerce.number().int().min(500).max(3_600_000).default(30_000),
    /**
     * `POST /api/orders/demo-session` hands out customer tokens to anyone (the storefront's "sign in
     * as a demo customer", decision 0012). Off by default; `npm start` turns it on for its demo
     * stack. The service logs a warning at start while it is on.
     */
    DEMO_SIGN_IN: z
      .enum(['true', 'false'])
      .default('false')
      .transform((v) => v === 'true'),
  })
  .transform(withSecrets);

export type OrderConfig = z.output<typeof orderConfigSchema>;

export function loadOrderConfig(env: NodeJS.ProcessEnv = process.env): OrderConfig {
  return loadConfig(orderConfigSchema, env);
}
