/**
 * Measures this page load's web vitals in the browser and reports them to
 * POST /api/performance/vitals (seed 001). LCP stops at the first interaction (what is painted
 * afterwards answers the shopper, it is not the landing page); LCP and FID are sent at the first
 * in-app navigation or when the page is hidden. CLS and INP cover the whole visit, in-app pages
 * included, and are sent when the page is hidden. Each reading is sent once, labelled with the
 * page the visit landed on.
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

  const observe = (type: string, handle: (entries: PerformanceEntryList) => void, options: Record<string, unknown> = {}): PerformanceObserver | null => {
    if (!supported.includes(type)) return null;
    try {
      const observer = new PerformanceObserver((list) => handle(list.getEntries()));
      observer.observe({ type, buffered: true, ...options });
      return observer;
    } catch {
      // An entry type this browser lists but will not observe: that reading is just missing.
      return null;
    }
  };

  const takeLcp = (entries: PerformanceEntryList): void => {
    const last = entries.at(-1);
    if (last && !lcpFinal) readings.LCP = last.startTime;
  };
  const lcpObserver = observe('largest-contentful-paint', takeLcp);
  const addInteraction = (entry: EventTiming, id: number): void => {
    interactions.set(id, Math.max(interactions.get(id) ?? 0, entry.duration));
    readings.INP = Math.max(...interactions.values());
  };
  observe('first-input', (entries) => {
    const first = entries[0] as EventTiming | undefined;
    if (!first || readings.FID !== undefined) return;
    readings.FID = first.processingStart - first.startTime;
    // A visit whose interactions were all quicker than the event threshold still has an INP.
    addInteraction(first, first.interactionId || -1);
  });
  observe('layout-shift', (entries) => {
    for (const entry of entries as unknown as LayoutShift[]) shifts.push({ value: entry.value, startTime: entry.startTime, hadRecentInput: entry.hadRecentInput });
    readings.CLS = cumulativeLayoutShift(shifts);
  });
  // INP: the slowest interaction (exact below 50 interactions, a close upper bound above).
  observe(
    'event',
    (entries) => {
      for (const entry of entries as EventTiming[]) if (entry.interactionId) addInteraction(entry, entry.interactionId);
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
    // Entries painted before this moment but not yet delivered still count.
    if (lcpObserver && !lcpFinal) takeLcp(lcpObserver.takeRecords());
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
