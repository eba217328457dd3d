import { randomUUID } from 'node:crypto';
import type { AuthUser } from '@shop/service-kit';

/** How long a demo customer's token lasts. */
export const DEMO_SESSION_TTL_MS = 12 * 3_600_000;

export interface DemoSession {
  token: string;
  customerId: string;
  expiresAt: string;
}

/**
 * Signs in a new demo customer: a fresh id of its own (so it sees only its own orders) and a
 * customer-role token (decision 0012). Only offered when DEMO_SIGN_IN is on.
 */
export async function startDemoSession(
  sign: (user: AuthUser, ttl: string) => Promise<string>,
  now: () => number = Date.now,
): Promise<DemoSession> {
  const customerId = `demo-${randomUUID()}`;
  const expiresAt = new Date(now() + DEMO_SESSION_TTL_MS).toISOString();
  const token = await sign({ id: customerId, role: 'customer' }, `${DEMO_SESSION_TTL_MS / 1000}s`);
  return { token, customerId, expiresAt };
}
