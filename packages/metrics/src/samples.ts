/** One series value: a name, its labels, a number (from a scrape or from the shared totals). */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Sum of the samples named `name` whose labels pass `keep`. */
export function sumSamples(samples: readonly Sample[], name: string, keep: (labels: Record<string, string>) => boolean = () => true): number {
  let total = 0;
  for (const s of samples) if (s.name === name && keep(s.labels)) total += s.value;
  return total;
}

/** API traffic: a request series of any route but health checks and metric scrapes (what budgets judge). */
export function isApiRoute(labels: Record<string, string>): boolean {
  return labels.route !== undefined && !/(^|\/)(health|metrics)(\/|$)/.test(labels.route);
}
