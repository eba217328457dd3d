import { describe, expect, it } from '@jest/globals';
import { cumulativeLayoutShift, vitalsBeacon, type LayoutShift } from '../src/lib/vitals.ts';

const shift = (startTime: number, value: number, hadRecentInput = false): LayoutShift => ({ startTime, value, hadRecentInput });

describe('cumulativeLayoutShift', () => {
  it('when there are no shifts, then CLS is 0', () => {
    expect(cumulativeLayoutShift([])).toBe(0);
  });

  it('when there is one shift, then CLS is its value', () => {
    expect(cumulativeLayoutShift([shift(100, 0.25)])).toBe(0.25);
  });

  it('when shifts are less than 1 s apart, then they add up in one window', () => {
    expect(cumulativeLayoutShift([shift(0, 0.125), shift(500, 0.25), shift(1_400, 0.5)])).toBe(0.875);
  });

  it('when the gap is exactly 1 s, then a new window starts', () => {
    expect(cumulativeLayoutShift([shift(0, 0.25), shift(1_000, 0.125)])).toBe(0.25);
  });

  it('when the gap is just under 1 s, then the window goes on', () => {
    expect(cumulativeLayoutShift([shift(0, 0.25), shift(999, 0.125)])).toBe(0.375);
  });

  it('when a gap of 1 s or more separates two bursts, then CLS is the larger burst, not the sum', () => {
    const shifts = [shift(0, 0.125), shift(200, 0.125), shift(3_000, 0.25), shift(3_500, 0.125), shift(4_200, 0.0625)];
    expect(cumulativeLayoutShift(shifts)).toBe(0.4375);
  });

  it('when the first window is the largest, then it is returned even though later windows follow', () => {
    expect(cumulativeLayoutShift([shift(0, 0.5), shift(100, 0.25), shift(2_000, 0.125), shift(5_000, 0.0625)])).toBe(0.75);
  });

  it('when shifts keep coming less than 1 s apart for more than 5 s, then a new window starts at 5 s', () => {
    // 0, 900, ..., 4 500 are in the first window (start 0); 5 400 is 5.4 s after it, so it opens the next.
    const shifts = Array.from({ length: 10 }, (_, i) => shift(i * 900, 0.125));
    // Window 1: 0..4 500 (6 shifts) = 0.75; window 2: 5 400..8 100 (4 shifts) = 0.5.
    expect(cumulativeLayoutShift(shifts)).toBe(0.75);
  });

  it('when a shift comes exactly 5 s after the window started, then it opens a new window', () => {
    const shifts = [shift(0, 0.25), shift(900, 0.25), shift(1_800, 0.25), shift(2_700, 0.25), shift(3_600, 0.25), shift(4_500, 0.25), shift(5_000, 1)];
    expect(cumulativeLayoutShift(shifts)).toBe(1.5);
    const justInside = [shift(0, 0.25), shift(900, 0.25), shift(1_800, 0.25), shift(2_700, 0.25), shift(3_600, 0.25), shift(4_500, 0.25), shift(4_999, 1)];
    expect(cumulativeLayoutShift(justInside)).toBe(2.5);
  });

  it('when a later window outgrows the first, then the later one is returned', () => {
    expect(cumulativeLayoutShift([shift(0, 0.25), shift(2_000, 0.125), shift(2_500, 0.125), shift(2_900, 0.125)])).toBe(0.375);
  });

  it('when shifts had recent input, then they are left out', () => {
    expect(cumulativeLayoutShift([shift(0, 0.125), shift(100, 5, true), shift(200, 0.25)])).toBe(0.375);
    expect(cumulativeLayoutShift([shift(0, 3, true), shift(50, 2, true)])).toBe(0);
  });

  it('when an input-excluded shift sits in a gap, then it does not bridge two windows', () => {
    // 0 and 1 500 are 1.5 s apart; the excluded shift at 800 must not keep the window open.
    expect(cumulativeLayoutShift([shift(0, 0.25), shift(800, 1, true), shift(1_500, 0.125)])).toBe(0.25);
  });
});

describe('vitalsBeacon', () => {
  it('when all readings are present, then they come in the order LCP, FID, INP, CLS with the page', () => {
    expect(vitalsBeacon('product', { CLS: 0.05, INP: 120, LCP: 1800, FID: 12 })).toEqual({
      page: 'product',
      metrics: [
        { name: 'LCP', value: 1800 },
        { name: 'FID', value: 12 },
        { name: 'INP', value: 120 },
        { name: 'CLS', value: 0.05 },
      ],
    });
  });

  it('when timings have many decimals, then they are rounded to 0.1 ms', () => {
    expect(vitalsBeacon('listing', { LCP: 1234.56, FID: 3.04, INP: 99.95 })!.metrics).toEqual([
      { name: 'LCP', value: 1234.6 },
      { name: 'FID', value: 3 },
      { name: 'INP', value: 100 },
    ]);
  });

  it('when CLS has many decimals, then it is rounded to 4 decimals', () => {
    expect(vitalsBeacon('search', { CLS: 0.123456 })!.metrics).toEqual([{ name: 'CLS', value: 0.1235 }]);
    expect(vitalsBeacon('search', { CLS: 0.00004 })!.metrics).toEqual([{ name: 'CLS', value: 0 }]);
  });

  it('when timings exceed 60 000 ms, then they are clamped to 60 000', () => {
    expect(vitalsBeacon('cart', { LCP: 75_000.44, FID: 60_000.04, INP: 1e9 })!.metrics).toEqual([
      { name: 'LCP', value: 60_000 },
      { name: 'FID', value: 60_000 },
      { name: 'INP', value: 60_000 },
    ]);
  });

  it('when CLS exceeds 10, then it is clamped to 10', () => {
    expect(vitalsBeacon('checkout', { CLS: 12.5 })!.metrics).toEqual([{ name: 'CLS', value: 10 }]);
  });

  it('when a reading is 0, then it is kept', () => {
    expect(vitalsBeacon('orders', { CLS: 0, INP: 0 })!.metrics).toEqual([
      { name: 'INP', value: 0 },
      { name: 'CLS', value: 0 },
    ]);
  });

  it('when readings are NaN, negative, infinite or undefined, then they are dropped', () => {
    expect(vitalsBeacon('other', { LCP: Number.NaN, FID: -1, INP: Number.POSITIVE_INFINITY, CLS: 0.02 })).toEqual({
      page: 'other',
      metrics: [{ name: 'CLS', value: 0.02 }],
    });
    expect(vitalsBeacon('other', { LCP: undefined, CLS: -0.1, INP: 250 })!.metrics).toEqual([{ name: 'INP', value: 250 }]);
  });

  it('when there is nothing to send, then the beacon is null', () => {
    expect(vitalsBeacon('listing', {})).toBeNull();
    expect(vitalsBeacon('listing', { LCP: Number.NaN, CLS: -1, INP: undefined, FID: Number.NEGATIVE_INFINITY })).toBeNull();
  });
});
