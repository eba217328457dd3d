import { describe, expect, it } from '@jest/globals';
import { sumSamples as sum } from '@shop/metrics';
import { parsePromText, quantileFromBuckets } from '../../scripts/lib/prom-text.ts';

describe('reading a scrape (scripts/monitor)', () => {
  it('when text exposition has labels with escapes and +Inf, then every sample is read', () => {
    const samples = parsePromText(
      [
        '# HELP x help',
        '# TYPE x counter',
        'x_total{service="catalog",route="/a\\"b",status_code="200"} 3',
        'h_bucket{le="+Inf"} 7',
        'g 1.5',
      ].join('\n'),
    );
    expect(samples).toEqual([
      { name: 'x_total', labels: { service: 'catalog', route: '/a"b', status_code: '200' }, value: 3 },
      { name: 'h_bucket', labels: { le: '+Inf' }, value: 7 },
      { name: 'g', labels: {}, value: 1.5 },
    ]);
    expect(sum(samples, 'x_total', (l) => l.status_code === '200')).toBe(3);
  });

  it('when the p95 is computed from cumulative buckets, then it interpolates inside the bucket as histogram_quantile does', () => {
    // 100 observations: 90 under 10 ms, 10 between 10 and 100 ms.
    const buckets = new Map([
      [0.01, 90],
      [0.1, 100],
      [Infinity, 100],
    ]);
    expect(quantileFromBuckets(buckets, 0.95)).toBeCloseTo(0.055, 6);
    expect(quantileFromBuckets(buckets, 0.5)).toBeCloseTo(0.01 * (50 / 90), 6);
    expect(quantileFromBuckets(new Map([[Infinity, 0]]), 0.95)).toBeNaN();
  });

  it('when observations land above the last finite bucket, then the quantile is that bucket’s bound', () => {
    expect(quantileFromBuckets(new Map([[5, 1], [Infinity, 10]]), 0.95)).toBe(5);
  });
});
