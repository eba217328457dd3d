/** Web vitals as the performance API takes them (POST /api/performance/vitals), computed purely. */
import type { VitalsPage } from './routes.ts';

export type VitalName = 'LCP' | 'INP' | 'FID' | 'CLS';

export interface VitalsBeacon {
  page: VitalsPage;
  metrics: { name: VitalName; value: number }[];
}

export interface LayoutShift {
  value: number;
  startTime: number;
  hadRecentInput: boolean;
}

/**
 * Cumulative Layout Shift as Chrome defines it: the largest "session window" of shifts (shifts
 * less than 1 s apart, a window at most 5 s long), leaving out shifts right after user input.
 */
export function cumulativeLayoutShift(shifts: readonly LayoutShift[]): number {
  let largest = 0;
  let current = 0;
  let windowStart = 0;
  let previous = 0;
  let open = false;
  for (const shift of shifts) {
    if (shift.hadRecentInput) continue;
    if (open && shift.startTime - previous < 1_000 && shift.startTime - windowStart < 5_000) {
      current += shift.value;
    } else {
      current = shift.value;
      windowStart = shift.startTime;
      open = true;
    }
    previous = shift.startTime;
    largest = Math.max(largest, current);
  }
  return largest;
}

/** The API's bounds: timings 0–60 000 ms, CLS 0–10. */
const LIMITS: Record<VitalName, number> = { LCP: 60_000, INP: 60_000, FID: 60_000, CLS: 10 };

/** The beacon for the readings there are, rounded and clamped to what the API accepts; null if none. */
export function vitalsBeacon(page: VitalsPage, readings: Partial<Record<VitalName, number>>): VitalsBeacon | null {
  const metrics: VitalsBeacon['metrics'] = [];
  for (const name of ['LCP', 'FID', 'INP', 'CLS'] as const) {
    const value = readings[name];
    if (value === undefined || !Number.isFinite(value) || value < 0) continue;
    const clamped = Math.min(value, LIMITS[name]);
    metrics.push({ name, value: name === 'CLS' ? Math.round(clamped * 10_000) / 10_000 : Math.round(clamped * 10) / 10 });
  }
  return metrics.length > 0 ? { page, metrics } : null;
}
