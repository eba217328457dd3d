import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '@shop/service-kit';
import type { OrderStore } from './ports.ts';
import type { Allocation, OrderLine, PricedLine, StockRowView } from './types.ts';

type Stock = OrderStore['stock'];

export interface ReserveTiming {
  /** How long an order may wait for units that orders still in flight hold, before it is refused. */
  waitMs: number;
  /** Holds younger than this belong to orders still being placed; older ones are left to reconciliation. */
  inFlightMs: number;
}

export const RESERVE_TIMING: ReserveTiming = { waitMs: 2_000, inFlightMs: 10_000 };

/** What became of one line: all its units held, or not enough, or it should make way for an older order. */
type LineOutcome = { kind: 'held'; allocations: Allocation[] } | { kind: 'short' } | { kind: 'yield' };

const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);
const pause = (): Promise<void> => sleep(5 + Math.floor(Math.random() * 15));
const fullestFirst = (rows: StockRowView[]): StockRowView[] =>
  [...rows].sort((a, b) => b.quantity - a.quantity || a.warehouse.localeCompare(b.warehouse));

function add(allocations: Allocation[], warehouse: string, quantity: number): void {
  const existing = allocations.find((a) => a.warehouse === warehouse);
  if (existing) existing.quantity += quantity;
  else allocations.push({ warehouse, quantity });
}

/**
 * Holds all units of one line, from as many rows as it takes. Every take is one conditional update
 * on one row (`quantity >= take`, the hold recorded in the same write), planned from a fresh read:
 * fullest rows first, each giving what it has. A take that finds its row changed ends the plan and
 * the rows are read again. When the rows hold too little but orders in flight hold enough that
 * may come back, the line waits (until `deadline`); if it already holds units while an older order
 * is in flight, it yields instead, so the oldest contender is never blocked by younger ones.
 */
async function holdLine(stock: Stock, line: PricedLine, orderId: string, holdsOthers: boolean, deadline: number, timing: ReserveTiming): Promise<LineOutcome> {
  const whole = await stock.reserve(line.productId, line.quantity, orderId);
  if (whole) return { kind: 'held', allocations: [{ warehouse: whole, quantity: line.quantity }] };
  const allocations: Allocation[] = [];
  let remaining = line.quantity;
  for (;;) {
    const rows = await stock.rows(line.productId);
    const onShelves = sum(rows.map((r) => r.quantity));
    if (onShelves >= remaining) {
      for (const row of fullestFirst(rows)) {
        const units = Math.min(remaining, row.quantity);
        if (units === 0 || !(await stock.take(line.productId, row.warehouse, units, orderId))) break;
        add(allocations, row.warehouse, units);
        remaining -= units;
        if (remaining === 0) return { kind: 'held', allocations };
      }
      if (Date.now() >= deadline) return { kind: 'short' };
      continue;
    }
    const now = Date.now();
    const inFlight = rows.flatMap((r) => r.holds).filter((h) => h.orderId !== orderId && now - h.at.getTime() < timing.inFlightMs);
    if (onShelves + sum(inFlight.map((h) => h.quantity)) < remaining || now >= deadline) return { kind: 'short' };
    if ((holdsOthers || allocations.length > 0) && inFlight.some((h) => h.orderId < orderId)) return { kind: 'yield' };
    await pause();
  }
}

/** Gives back every hold of the order on the rows of these lines (a no-op where there is none). */
export async function releaseOrder(stock: Stock, lines: readonly { productId: string }[], orderId: string): Promise<void> {
  await Promise.all([...new Set(lines.map((l) => l.productId))].map((productId) => stock.releaseAll(productId, orderId)));
}

/**
 * Holds the units of every line for `orderId`, each line from one or several warehouses, and
 * returns the lines with where their units came from. If a line cannot be completed, every hold of
 * the order is released and the answer is 409 OUT_OF_STOCK. Nothing is sold twice: each unit leaves
 * a row only through a conditional update that also records the hold.
 */
export async function reserveOrder(stock: Stock, orderId: string, lines: readonly PricedLine[], timing: ReserveTiming = RESERVE_TIMING): Promise<OrderLine[]> {
  const deadline = Date.now() + timing.waitMs;
  let refused: PricedLine | undefined;
  try {
    while (!refused) {
      const reserved: OrderLine[] = [];
      let failed: { line: PricedLine; kind: 'short' | 'yield' } | undefined;
      for (const line of lines) {
        const outcome = await holdLine(stock, line, orderId, reserved.length > 0, deadline, timing);
        if (outcome.kind !== 'held') {
          failed = { line, kind: outcome.kind };
          break;
        }
        reserved.push({ ...line, allocations: outcome.allocations });
      }
      if (!failed) return reserved;
      // Every hold is back before the order starts again or is refused (a failed release throws).
      await releaseOrder(stock, lines, orderId);
      if (failed.kind === 'short') refused = failed.line;
      else await pause();
    }
  } catch (error) {
    await releaseOrder(stock, lines, orderId).catch(() => {});
    throw error;
  }
  throw new AppError('OUT_OF_STOCK', `Not enough stock for ${refused.sku}`, 409, { details: { sku: refused.sku, requested: refused.quantity } });
}

/**
 * The holds `orderId` already has on these lines' rows, left by an earlier attempt of the same
 * generation: the lines with those allocations when they hold every line's units exactly (the
 * attempt reserved everything, then its order write failed) and are younger than `maxAgeMs`, else
 * undefined — after giving back any holds found (partial ones: the attempt died mid-reservation,
 * before any write of the order; old ones: reconciliation, which releases holds without an order
 * past the reservation timeout, must not release them under the order being written now), so the
 * caller reserves afresh under the same id.
 */
export async function resumeReservation(
  stock: Stock,
  orderId: string,
  lines: readonly PricedLine[],
  maxAgeMs: number,
  now: () => number = Date.now,
): Promise<OrderLine[] | undefined> {
  let held = false;
  let young = true;
  const resumed: OrderLine[] = [];
  for (const line of lines) {
    const holds = (await stock.rows(line.productId)).flatMap((row) => row.holds.filter((h) => h.orderId === orderId).map((h) => ({ row, h })));
    held ||= holds.length > 0;
    young &&= holds.every(({ h }) => now() - h.at.getTime() < maxAgeMs);
    resumed.push({ ...line, allocations: holds.map(({ row, h }) => ({ warehouse: row.warehouse, quantity: h.quantity })) });
  }
  if (young && resumed.every((line) => sum(line.allocations.map((a) => a.quantity)) === line.quantity)) return resumed;
  if (held) await releaseOrder(stock, lines, orderId);
  return undefined;
}
