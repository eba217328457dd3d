/**
 * The q-quantile from cumulative histogram buckets (`le` → count), interpolated linearly inside
 * the bucket as Prometheus' histogram_quantile does. NaN without observations; the largest finite
 * bound when the rank lies in the +Inf bucket.
 */
export function quantileFromBuckets(buckets: Map<number, number>, q: number): number {
  const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  if (total <= 0) return NaN;
  const rank = q * total;
  let previousLe = 0;
  let previousCount = 0;
  for (const [le, count] of sorted) {
    if (count >= rank) {
      if (le === Infinity) return previousLe;
      const inBucket = count - previousCount;
      return inBucket <= 0 ? le : previousLe + ((le - previousLe) * (rank - previousCount)) / inBucket;
    }
    previousLe = le;
    previousCount = count;
  }
  return previousLe;
}
