// The monitoring files are checked by the tool that will read them: promtool (Debian's
// `prometheus` package) checks the Prometheus config and rules and runs the rules' unit tests
// (monitoring/alerts.test.yml); the Grafana dashboard is parsed and its queries are held to the
// metrics the services expose.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const read = (file: string): string => readFileSync(path.join(repoRoot, file), 'utf8');

/** Runs promtool in the repo root; a missing promtool fails the test, it is never skipped. */
function promtool(...args: string[]): { status: number | null; output: string } {
  const bin = process.env.PROMTOOL ?? 'promtool';
  const run = spawnSync(bin, args, { cwd: repoRoot, encoding: 'utf8' });
  if ((run.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new Error(`${bin} not found: install Debian's \`prometheus\` package (apt-get install prometheus), which ships promtool`);
  }
  if (run.error) throw run.error;
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('Prometheus configuration', () => {
  it('when promtool checks monitoring/alerts.yml, then every rule is valid', () => {
    const run = promtool('check', 'rules', 'monitoring/alerts.yml');
    expect(run.status === 0 ? 'exit 0' : run.output).toBe('exit 0');
    expect(run.output).toContain('SUCCESS');
  });

  it('when promtool checks monitoring/prometheus.yml, then the config and the rules file it names are valid', () => {
    const run = promtool('check', 'config', 'monitoring/prometheus.yml');
    expect(run.status === 0 ? 'exit 0' : run.output).toBe('exit 0');
    expect(run.output).toContain('SUCCESS: 1 rule files found');
    expect(run.output).toContain('Checking monitoring/alerts.yml');
  });

  it('when promtool runs monitoring/alerts.test.yml on synthetic series, then each alert fires where its budget is broken and only there', () => {
    const run = promtool('test', 'rules', 'monitoring/alerts.test.yml');
    expect(run.status === 0 ? 'exit 0' : run.output).toBe('exit 0');
    expect(run.output).toContain('SUCCESS');
    // The unit tests cover at least these alerts (a renamed alert must take its test along).
    const tests = read('monitoring/alerts.test.yml');
    for (const alert of ['ShopHighErrorRatio', 'ShopHighLatencyP95', 'ShopServiceDown', 'ShopLowCacheHitRatio']) {
      expect(tests).toContain(`alertname: ${alert}`);
    }
  });

  it('when an alert is read, then it has a for:, a severity and a summary and description naming the service', () => {
    const alerts = read('monitoring/alerts.yml')
      .split(/^\s*- alert: /m)
      .slice(1)
      .map((block) => block.split(/^\s*- (?:alert|record): |^\s*- name: /m)[0]!);
    expect(alerts.length).toBeGreaterThanOrEqual(8);
    for (const block of alerts) {
      const name = block.split('\n')[0]!.trim();
      const problems = [
        /^\s+for: \d+[smh]$/m.test(block) ? null : 'for:',
        /^\s+severity: (?:info|warning|critical)$/m.test(block) ? null : 'severity',
        /^\s+summary: .*\{\{ \$labels\.service \}\}/m.test(block) ? null : 'summary with the service',
        /^\s+description: /m.test(block) ? null : 'description',
      ].filter((problem) => problem !== null);
      expect({ name, problems }).toEqual({ name, problems: [] });
    }
  });

  it('when docker-compose starts Prometheus, then the rules file is mounted next to its config', () => {
    const compose = read('docker-compose.yml');
    expect(compose).toContain('./monitoring/prometheus.yml:/etc/prometheus/prometheus.yml:ro');
    expect(compose).toContain('./monitoring/alerts.yml:/etc/prometheus/alerts.yml:ro');
  });
});

// The metrics the services expose (packages/metrics): every series has a `service` label.
const histograms = ['http_request_duration_seconds', 'cache_load_duration_seconds', 'mongodb_command_duration_seconds'];
const knownMetrics = new Set([
  ...histograms.flatMap((name) => [`${name}_bucket`, `${name}_sum`, `${name}_count`]),
  'http_requests_total',
  'http_requests_in_flight',
  'rate_limit_rejections_total',
  'cache_hits_total',
  'cache_misses_total',
  'cache_stale_served_total',
  'cache_evictions_total',
  'cache_invalidations_total',
  'cache_l2_errors_total',
  'mongodb_pool_connections',
  'mongodb_pool_connections_checked_out',
  'mongodb_pool_checkout_failures_total',
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
  'nodejs_eventloop_lag_p99_seconds',
  'nodejs_heap_size_used_bytes',
  'nodejs_heap_size_total_bytes',
  'shop_metrics_workers',
  'up',
]);
const promqlKeywords = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan']);

/** The metric names a PromQL expression selects: what is left once strings, label matchers,
 * ranges, grouping clauses, Grafana variables, function calls and keywords are taken out. */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^{}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{?\w+\}?/g, ' ');
  return [...stripped.matchAll(/(?<![\w.:])([a-zA-Z_:][\w:]*)(?!\s*\(|[\w:])/g)]
    .map((match) => match[1]!)
    .filter((name) => !promqlKeywords.has(name.toLowerCase()));
}

interface Target {
  refId?: string;
  expr?: string;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  id?: number;
  type?: string;
  title?: string;
  gridPos?: { h?: number; w?: number; x?: number; y?: number };
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
}
interface Dashboard {
  schemaVersion?: number;
  uid?: string;
  title?: string;
  panels?: Panel[];
  templating?: { list?: { name?: string; type?: string; query?: unknown; definition?: string }[] };
}

describe('Grafana dashboard', () => {
  const dashboard = JSON.parse(read('monitoring/grafana/shop-dashboard.json')) as Dashboard;
  const panels = dashboard.panels ?? [];

  it('when the metric-name check reads a query, then it finds the metrics and nothing else', () => {
    expect(
      metricNames(
        'sum by (service, le) (rate(http_request_duration_seconds_bucket{service=~"$service", status_code=~"5.."}[$__rate_interval])) / on (service) group_left () sum by (service) (shop_metrics_workers) > 0.8 * 768',
      ),
    ).toEqual(['http_request_duration_seconds_bucket', 'shop_metrics_workers']);
    expect(metricNames('histogram_quantile(0.95, sum by (le) (rate(made_up_seconds_bucket[5m])))')).toEqual(['made_up_seconds_bucket']);
  });

  it('when the dashboard JSON is read, then it is a schema 39 dashboard with a Prometheus datasource and a service variable', () => {
    expect(dashboard.schemaVersion).toBe(39);
    expect(dashboard.uid).toBeTruthy();
    expect(dashboard.title).toBeTruthy();
    const variables = dashboard.templating?.list ?? [];
    expect(variables.find((v) => v.name === 'datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    const service = variables.find((v) => v.name === 'service');
    expect(service).toMatchObject({ type: 'query', definition: 'label_values(http_requests_total, service)' });
    expect(JSON.stringify(service?.query)).toContain('label_values(http_requests_total, service)');
  });

  it('when the panels are read, then each has a unique id, a gridPos and targets with a refId and an expr', () => {
    expect(panels.length).toBeGreaterThan(0);
    const ids = panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of panels) {
      expect({ title: panel.title, id: typeof panel.id, type: panel.type && ['timeseries', 'stat'].includes(panel.type) }).toEqual({ title: panel.title, id: 'number', type: true });
      const { h, w, x, y } = panel.gridPos ?? {};
      expect({ title: panel.title, gridPos: [h, w, x, y].every((n) => Number.isInteger(n)) && x! + w! <= 24 }).toEqual({ title: panel.title, gridPos: true });
      expect(panel.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
      const targets = panel.targets ?? [];
      expect(targets.length).toBeGreaterThan(0);
      const refIds = targets.map((target) => target.refId);
      expect(new Set(refIds).size).toBe(refIds.length);
      for (const target of targets) {
        expect(target.refId).toMatch(/^[A-Z]$/);
        expect(typeof target.expr === 'string' && target.expr.trim() !== '').toBe(true);
      }
    }
  });

  it('when a panel query names a metric, then it is one the services (or Prometheus) expose', () => {
    for (const panel of panels) {
      for (const target of panel.targets ?? []) {
        const names = metricNames(target.expr ?? '');
        const unknown = names.filter((name) => !knownMetrics.has(name));
        expect({ panel: panel.title, expr: target.expr, unknown, any: names.length > 0 }).toEqual({ panel: panel.title, expr: target.expr, unknown: [], any: true });
      }
    }
  });

  it('when the dashboard is read, then it covers traffic, latency, errors, cache, MongoDB, event loop, memory and workers', () => {
    const exprs = panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr ?? ''));
    const uses = (pattern: RegExp): boolean => exprs.some((expr) => pattern.test(expr));
    expect(uses(/sum by \(service, route\) \(rate\(http_requests_total\b/)).toBe(true);
    for (const q of ['0.5', '0.95', '0.99']) {
      expect(uses(new RegExp(`histogram_quantile\\(${q.replace('.', '\\.')}, sum by \\(service, le\\) \\(rate\\(http_request_duration_seconds_bucket`))).toBe(true);
    }
    expect(uses(/status_code=~"5\.\."/)).toBe(true);
    expect(uses(/sum by \(service, layer\) \(rate\(cache_hits_total\b/)).toBe(true);
    expect(uses(/mongodb_command_duration_seconds_bucket/)).toBe(true);
    expect(uses(/mongodb_pool_connections_checked_out/)).toBe(true);
    expect(uses(/nodejs_eventloop_lag_p99_seconds/)).toBe(true);
    expect(uses(/process_resident_memory_bytes\{[^}]*\}\) \/ sum by \(service\) \(shop_metrics_workers/)).toBe(true);
    expect(uses(/^sum by \(service\) \(shop_metrics_workers\{/)).toBe(true);
  });
});
