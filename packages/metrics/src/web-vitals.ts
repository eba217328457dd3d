import { Histogram, type Registry } from 'prom-client';

/** Pages the storefront reports from (a bounded label). */
export const VITALS_PAGES = ['listing', 'search', 'product', 'cart', 'checkout', 'orders', 'other'] as const;
export type VitalsPage = (typeof VITALS_PAGES)[number];
export type VitalName = 'LCP' | 'INP' | 'FID' | 'CLS';

/** Web vitals reported by browsers, as histograms (Core Web Vitals are judged at p75). */
export interface WebVitals {
  /** `value`: milliseconds for LCP, INP and FID; the unitless score for CLS. */
  observe(name: VitalName, value: number, page: VitalsPage): void;
}

const TIMING_BUCKETS = [0.1, 0.2, 0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 3, 4, 6, 10];

export function createWebVitals(registry: Registry): WebVitals {
  const registers = [registry];
  const timing = (name: string, help: string): Histogram<'page'> => new Histogram({ name, help, labelNames: ['page'], buckets: TIMING_BUCKETS, registers });
  const histograms: Record<VitalName, { histogram: Histogram<'page'>; scale: number }> = {
    LCP: { histogram: timing('web_vitals_lcp_seconds', 'Largest Contentful Paint reported by storefront visitors'), scale: 1 / 1000 },
    INP: { histogram: timing('web_vitals_inp_seconds', 'Interaction to Next Paint reported by storefront visitors'), scale: 1 / 1000 },
    FID: { histogram: timing('web_vitals_fid_seconds', 'First Input Delay reported by storefront visitors (older browsers)'), scale: 1 / 1000 },
    CLS: {
      histogram: new Histogram({
        name: 'web_vitals_cls',
        help: 'Cumulative Layout Shift reported by storefront visitors',
        labelNames: ['page'],
        buckets: [0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1],
        registers,
      }),
      scale: 1,
    },
  };
  return {
    observe(name, value, page) {
      const { histogram, scale } = histograms[name];
      histogram.observe({ page }, value * scale);
    },
  };
}
