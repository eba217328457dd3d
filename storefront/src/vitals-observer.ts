/**
 * Measures this page load's web vitals in the browser and reports them to
 * POST /api/performance/vitals (seed 001). LCP and FID are final at the first interaction or the
 * first in-app navigation (what is painted afterwards is not the landing page); CLS and INP cover
 * the whole visit and are sent when the page is hidden. Each reading is sent once, labelled with
 * the page the visit landed on.
 */
import { cumulativeLayoutShift, vitalsBeacon, type LayoutShift, type VitalName } from './lib/vitals.ts';
import type { VitalsPage } from './lib/routes.ts';

const ENDPOINT = '/api/performance/vitals';

interface EventTiming extends PerformanceEntry {
  processingStart: number;
  interactionId?: number;
}

function send(body: object): void {
  const json = JSON.stringify(body);
  try {
    if (navigator.sendBeacon?.(ENDPOINT, new Blob([json], { type: 'application/json' }))) return;
  } catch {
    // Fall through to fetch.
  }
  void fetch(ENDPOINT, { method: 'POST', body: json, headers: { 'Content-Type': 'application/json' }, keepalive: true }).catch(() => {});
}

export interface VitalsReporter {
  /** The first in-app navigation: LCP and FID of the landing page are final. */
  softNavigation(): void;
}

export function startVitals(page: VitalsPage): VitalsReporter {
  const supported = typeof PerformanceObserver === 'undefined' ? [] : (PerformanceObserver.supportedEntryTypes ?? []);
  const readings: Partial<Record<VitalName, number>> = {};
  const sent = new Set<VitalName>();
  const shifts: LayoutShift[] = [];
  const interactions = new Map<number, number>();
  let lcpFinal = document.visibilityState !== 'visible';

  const observe = (type: string, handle: (entries: PerformanceEntryList) => void, options: Record<string, unknown> = {}): void => {
    if (!supported.includes(type)) return;
    try {
      new PerformanceObserver((list) => handle(list.getEntries())).observe({ type, buffered: true, ...options });
    } catch {
      // An entry type this browser lists but will not observe: that reading is just missing.
    }
  };

  observe('largest-contentful-paint', (entries) => {
    const last = entries.at(-1);
    if (last && !lcpFinal) readings.LCP = last.startTime;
  });
  observe('first-input', (entries) => {
    const first = entries[0] as EventTiming | undefined;
    if (first && readings.FID === undefined) readings.FID = first.processingStart - first.startTime;
  });
  observe('layout-shift', (entries) => {
    for (const entry of entries as unknown as LayoutShift[]) shifts.push({ value: entry.value, startTime: entry.startTime, hadRecentInput: entry.hadRecentInput });
    readings.CLS = cumulativeLayoutShift(shifts);
  });
  // INP: the slowest interaction (exact below 50 interactions, a close upper bound above).
  observe(
    'event',
    (entries) => {
      for (const entry of entries as EventTiming[]) {
        if (!entry.interactionId) continue;
        interactions.set(entry.interactionId, Math.max(interactions.get(entry.interactionId) ?? 0, entry.duration));
      }
      if (interactions.size > 0) readings.INP = Math.max(...interactions.values());
    },
    { durationThreshold: 40 },
  );

  const report = (names: VitalName[]): void => {
    const pending: Partial<Record<VitalName, number>> = {};
    for (const name of names) {
      const value = readings[name];
      if (sent.has(name) || value === undefined) continue;
      pending[name] = value;
      sent.add(name);
    }
    const beacon = vitalsBeacon(page, pending);
    if (beacon) send(beacon);
  };

  const endLcp = (): void => {
    lcpFinal = true;
  };
  for (const type of ['keydown', 'pointerdown'] as const) addEventListener(type, endLcp, { once: true, capture: true });
  addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') {
      endLcp();
      report(['LCP', 'FID', 'INP', 'CLS']);
    }
  });
  addEventListener('pagehide', () => report(['LCP', 'FID', 'INP', 'CLS']));

  let navigated = false;
  return {
    softNavigation() {
      if (navigated) return;
      navigated = true;
      endLcp();
      report(['LCP', 'FID']);
    },
  };
}
