// The order client contract the suite holds the stack to: the same Idempotency-Key and body until
// a final answer; a failed connection, 502/503/504 and 409 IDEMPOTENCY_IN_PROGRESS are retried.
import { send, sleep, type Answer } from './traffic.ts';

export interface OrderLine {
  productId: string;
  quantity: number;
}

export function orderRequest(token: string, key: string, items: OrderLine[]) {
  return {
    kind: 'order',
    method: 'POST',
    path: '/api/orders',
    headers: { authorization: `Bearer ${token}`, 'idempotency-key': key },
    body: JSON.stringify({ items }),
  };
}

export interface FinalOrderAnswer {
  key: string;
  status: number;
  /** The order's id when status is 201. */
  id?: string;
  /** The error code otherwise. */
  code?: string;
  /** Every attempt, the final one last. */
  attempts: Answer[];
}

const RETRIED = new Set([0, 502, 503, 504]);

/** Places one order, retrying like a well-behaved client until a final answer or `deadlineMs`. */
export async function placeUntilFinal(base: string, token: string, key: string, items: OrderLine[], deadlineMs = 60_000): Promise<FinalOrderAnswer> {
  const attempts: Answer[] = [];
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const answer = await send(base, orderRequest(token, key, items));
    attempts.push(answer);
    const body = parse(answer.body);
    const inProgress = answer.status === 409 && body?.error?.code === 'IDEMPOTENCY_IN_PROGRESS';
    if (!RETRIED.has(answer.status) && !inProgress) {
      return { key, status: answer.status, ...(body?.id ? { id: body.id } : {}), ...(body?.error ? { code: body.error.code } : {}), attempts };
    }
    if (Date.now() > deadline) throw new Error(`order ${key}: no final answer within ${deadlineMs} ms; last ${answer.status} ${answer.error ?? answer.body}`);
    await sleep(inProgress ? 500 : 200);
  }
}

export function parse(body: string): { id?: string; error?: { code: string; message?: string } } | undefined {
  try {
    return JSON.parse(body) as { id?: string; error?: { code: string } };
  } catch {
    return undefined;
  }
}

/** Attempts that were retried, by what made them retried: `{"0": 3, "502": 1, "409": 4}`. */
export function retryTally(finals: readonly FinalOrderAnswer[]): Record<string, number> {
  const tally: Record<string, number> = {};
  for (const final of finals) for (const a of final.attempts.slice(0, -1)) tally[a.status] = (tally[a.status] ?? 0) + 1;
  return tally;
}
