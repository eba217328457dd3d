/** Prometheus text exposition (format 0.0.4) of aggregated series. */

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface MetricFamily {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary';
  /** Series of the family: sample name (`x`, `x_bucket`, `x_sum`, `x_count`), labels, value. */
  samples: { name: string; labels: Record<string, string>; value: number }[];
}

const escapeLabel = (value: string): string => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const escapeHelp = (value: string): string => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function formatLabels(labels: Record<string, string>): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
}

/** `le` order for histogram buckets: numeric, +Inf last. */
function leValue(le: string | undefined): number {
  return le === '+Inf' ? Infinity : Number(le);
}

/**
 * Renders families in a stable order. Histogram samples are grouped per label set (without `le`)
 * as buckets in ascending `le`, then `_sum` and `_count`, which is what parsers expect.
 */
export function renderExposition(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    if (family.samples.length === 0) continue;
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    if (family.type !== 'histogram') {
      for (const sample of family.samples) lines.push(`${sample.name}${formatLabels(sample.labels)} ${formatValue(sample.value)}`);
      continue;
    }
    const groups = new Map<string, { labels: Record<string, string>; buckets: [string, number][]; sum: number; count: number }>();
    for (const sample of family.samples) {
      const { le, ...rest } = sample.labels;
      const key = JSON.stringify(Object.entries(rest).sort(([a], [b]) => (a < b ? -1 : 1)));
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { labels: rest, buckets: [], sum: 0, count: 0 }));
      if (sample.name.endsWith('_bucket') && le !== undefined) group.buckets.push([le, sample.value]);
      else if (sample.name.endsWith('_sum')) group.sum = sample.value;
      else if (sample.name.endsWith('_count')) group.count = sample.value;
    }
    for (const group of groups.values()) {
      group.buckets.sort((a, b) => leValue(a[0]) - leValue(b[0]));
      for (const [le, value] of group.buckets) lines.push(`${family.name}_bucket${formatLabels({ ...group.labels, le })} ${formatValue(value)}`);
      lines.push(`${family.name}_sum${formatLabels(group.labels)} ${formatValue(group.sum)}`);
      lines.push(`${family.name}_count${formatLabels(group.labels)} ${formatValue(group.count)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
