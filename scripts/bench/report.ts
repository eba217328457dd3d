/**
 * What `npm run bench` writes: the figures per scenario and point (medians over rounds), BRIEF §5's
 * targets side by side with what was measured (every one, met or not), a self-contained HTML page
 * with charts, and the README's Performance section between its markers.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../lib/paths.ts';
import { SCENARIO_LABELS, type Scenario } from './scenarios.ts';
import { pointsFor, type BenchOverride, type Point } from './targets.ts';

export const benchResultsDir = path.join(repoRoot, 'bench-results');
const README = path.join(repoRoot, 'README.md');
const BEGIN = '<!-- bench:begin (written by npm run bench; edit scripts/bench/report.ts instead) -->';
const END = '<!-- bench:end -->';
/** BRIEF §5: p99 at half of max throughput, ms, per scenario that has a target. */
const P99_TARGETS_MS: Partial<Record<Scenario, number>> = { product: 5, search: 10, order: 25 };
/** BRIEF §5: cached reads, after vs ceiling, req/s. */
const CEILING_SHARE_TARGETS: Partial<Record<Scenario, number>> = { product: 0.8, list: 0.6, search: 0.6 };
/** BRIEF §5: real queries in "before", after vs before, req/s (the product GET's is reported only). */
const VS_BEFORE_TARGETS: Partial<Record<Scenario, number>> = { list: 50, search: 50 };
/** BRIEF §5: CPU time per cached product GET, Node + nginx + Redis, µs. */
const CPU_TARGET_US = 120;

export interface BenchCell {
  scenario: Scenario;
  point: Point;
  round: number;
  max: { rps: number; errors: number; statuses: Record<string, number>; answered: number; p99: number };
  half: { rate: number; rps: number; p50: number; p95: number; p99: number; max: number; errors: number; timerLagP99: number };
  bytesPerResponse: number;
  identityBytesPerResponse: number | null;
  compression: number | null;
  cpuMsPerRequest: Record<string, number>;
  peakRssMB: { app: number; edge: number };
  /**
   * Hits by layer (edge: nginx's edge cache; fast: the services' fast lane, decision 0018) and
   * misses, across the after point's nginx and services. Runs before the edge cache have no edge.
   */
  cache: {
    edge?: number;
    edgeRatio?: number | null;
    fast: number;
    l1: number;
    l2: number;
    miss: number;
    fastRatio: number | null;
    l1Ratio: number | null;
    l2Ratio: number | null;
    hitRatio: number | null;
  } | null;
  /**
   * A point whose nginx runs the edge cache: the X-Cache values of the open-loop run's answers,
   * and the share nginx answered itself (HIT-EDGE, STALE-EDGE).
   */
  edgeCache?: { statuses: Record<string, number>; hitRatio: number | null } | null;
}

export interface BenchReport {
  at: string;
  settings: {
    quick: boolean;
    rounds: number;
    durationS: number;
    warmupS: number;
    connections: number;
    products: number;
    scenarios: Scenario[];
    clientHeaders: Record<string, string>;
    /** Settings of the measured stack that differ from the shipped defaults (older reports: absent). */
    overrides?: readonly BenchOverride[];
    /** What generated the open loop, e.g. "vegeta v12.13.0" (older reports: absent, the Node client). */
    generator?: string;
    /** The points this run measured (older reports: absent, the first three). */
    points?: readonly Point[];
  };
  machine: { cpus: number; cpuModel: string; memoryGB: number; node: string; mongo: string; redis: string };
  cells: BenchCell[];
  /**
   * bench:cache: median server time of a request answered from L1, of one that sends the same
   * precompressed bytes through the same Express app without a cache (the floor), and their
   * difference, the time the cache itself adds to a hit.
   */
  l1: { l1HitMedianUs: number; floorMedianUs: number; addedByL1HitUs: number } | null;
  durationS: number;
}

/** The median over rounds of one figure of one scenario and point; null when not measured. */
export function median(report: BenchReport, scenario: Scenario, point: Point, figure: (cell: BenchCell) => number | null | undefined): number | null {
  const values = report.cells
    .filter((c) => c.scenario === scenario && c.point === point)
    .map(figure)
    .filter((v): v is number => typeof v === 'number' && Number.isFinite(v))
    .sort((a, b) => a - b);
  if (values.length === 0) return null;
  const mid = Math.floor(values.length / 2);
  return values.length % 2 ? (values[mid] ?? null) : ((values[mid - 1] ?? 0) + (values[mid] ?? 0)) / 2;
}

/** What older reports measured, before they listed their points. */
const FIRST_POINTS: readonly Point[] = ['ceiling', 'before', 'after'];

/** The points of this report, in POINTS order. */
export function reportPoints(report: BenchReport): readonly Point[] {
  return report.settings.points ?? FIRST_POINTS;
}

/** The points of this report a scenario was measured at. */
function scenarioPoints(report: BenchReport, scenario: Scenario): Point[] {
  return pointsFor(scenario).filter((point) => reportPoints(report).includes(point));
}

/** Who generated the open-loop latencies. */
function generatorText(report: BenchReport): string {
  return report.settings.generator ?? 'the Node client (scripts/lib/open-loop.ts)';
}

export interface TargetRow {
  figure: string;
  target: string;
  measured: string;
  /** null: reported only (no pass/fail), or not measured in this run. */
  pass: boolean | null;
}

const fmt = (n: number | null, digits = 1): string => (n === null || !Number.isFinite(n) ? '—' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
const pct = (n: number | null): string => (n === null ? '—' : `${(n * 100).toFixed(1)} %`);

/** BRIEF §5's table, filled with this run's figures. */
export function targets(report: BenchReport): TargetRow[] {
  const has = (s: Scenario) => report.settings.scenarios.includes(s);
  const rows: TargetRow[] = [];
  const rps = (s: Scenario, p: Point) => median(report, s, p, (c) => c.max.rps);
  const cached = (s: Scenario) => (s === 'product' ? 'cached product GET' : `cached ${s}`);
  for (const [scenario, share] of Object.entries(CEILING_SHARE_TARGETS) as [Scenario, number][]) {
    if (!has(scenario)) continue;
    const after = rps(scenario, 'after');
    const before = rps(scenario, 'before');
    const ceiling = rps(scenario, 'ceiling');
    const vsBefore = after !== null && before ? after / before : null;
    const vsCeiling = after !== null && ceiling ? after / ceiling : null;
    const times = VS_BEFORE_TARGETS[scenario];
    rows.push({
      figure: `${cached(scenario)}, after vs before, req/s`,
      // The product GET's "before" is a naive _id read only ~8× below the ceiling itself: reported.
      target: times === undefined ? 'reported' : `≥ ${times}×`,
      measured: vsBefore === null ? '—' : `${fmt(vsBefore)}× (${fmt(after, 0)} vs ${fmt(before, 0)})`,
      pass: vsBefore === null || times === undefined ? null : vsBefore >= times,
    });
    rows.push({
      figure: `${cached(scenario)}, after vs ceiling, req/s`,
      target: `≥ ${Math.round(share * 100)} %`,
      measured: vsCeiling === null ? '—' : `${pct(vsCeiling)} (${fmt(after, 0)} vs ${fmt(ceiling, 0)})`,
      pass: vsCeiling === null ? null : vsCeiling >= share,
    });
  }
  if (has('product')) {
    const after = rps('product', 'after');
    const ceiling = rps('product', 'ceiling');
    // Design 1 alone, measured beside the after point; the targets above stay the after point's.
    const laneOnly = rps('product', 'after-lane-only');
    if (laneOnly !== null) {
      rows.push({
        figure: 'cached product GET, after-lane-only (design 1 alone: the fast lane, no edge cache) vs ceiling, req/s',
        target: "reported (the targets are the after point's)",
        measured: `${pct(ceiling ? laneOnly / ceiling : null)} (${fmt(laneOnly, 0)} vs ${fmt(ceiling, 0)}; after ${fmt(after, 0)})`,
        pass: null,
      });
    }
  }
  // bench:cache: an L1 hit's server time minus the floor's (the same bytes, same app, no cache).
  // Against a handler that builds and compresses its answer the "added" time would be negative,
  // which says nothing about what the cache costs.
  rows.push({
    figure: 'server time added by an L1 hit (median)',
    target: '≤ 50 µs',
    measured: report.l1
      ? `${fmt(report.l1.addedByL1HitUs)} µs: L1 hit ${fmt(report.l1.l1HitMedianUs)} µs vs ${fmt(report.l1.floorMedianUs)} µs for the same compressed bytes without the cache, whole request in Express (bench:cache --quick)`
      : 'not measured in this run',
    pass: report.l1 ? report.l1.addedByL1HitUs <= 50 : null,
  });
  for (const [scenario, limit] of Object.entries(P99_TARGETS_MS) as [Scenario, number][]) {
    if (!has(scenario)) continue;
    const p99 = median(report, scenario, 'after', (c) => c.half.p99);
    const rate = median(report, scenario, 'after', (c) => c.half.rate);
    const lag = median(report, scenario, 'after', (c) => c.half.timerLagP99);
    // A generator that fell behind its schedule by more than the target sent fewer requests at
    // once than the rate says (the wait shows in its lag, not in the latencies): the p99 is then
    // not a measurement of the target, and the row is missed, saying why.
    const lagging = lag !== null && lag > limit;
    rows.push({
      figure: `p99 at half of max throughput: ${SCENARIO_LABELS[scenario]}`,
      target: `≤ ${limit} ms`,
      measured:
        p99 === null
          ? '—'
          : `${fmt(p99, 2)} ms at ${fmt(rate, 0)} req/s (generator lag p99 ${fmt(lag, 2)} ms${lagging ? ': above the target, the generator could not keep this rate' : ''})`,
      pass: p99 === null ? null : p99 <= limit && !lagging,
    });
  }
  // Per scenario, the median over rounds; the least compressed scenario is the figure.
  const compressible = report.settings.scenarios
    .map((scenario) => ({
      scenario,
      identity: median(report, scenario, 'after', (c) => c.identityBytesPerResponse),
      wire: median(report, scenario, 'after', (c) => c.bytesPerResponse),
      ratio: median(report, scenario, 'after', (c) => c.compression),
    }))
    .filter((s) => s.identity !== null && s.identity >= 1024 && s.ratio !== null);
  if (compressible.length > 0) {
    const worst = compressible.reduce((a, b) => ((a.ratio ?? 1) <= (b.ratio ?? 1) ? a : b));
    rows.push({
      figure: 'compression of JSON responses ≥ 1 KB (least compressed scenario)',
      target: '≥ 75 % smaller',
      measured: `${pct(worst.ratio)} (${worst.scenario}: ${fmt(worst.identity, 0)} → ${fmt(worst.wire, 0)} B)`,
      pass: (worst.ratio ?? 0) >= 0.75,
    });
  }
  if (has('product')) {
    const hit = median(report, 'product', 'after', (c) => c.cache?.hitRatio);
    const edge = median(report, 'product', 'after', (c) => c.cache?.edgeRatio);
    const fast = median(report, 'product', 'after', (c) => c.cache?.fastRatio);
    const l1 = median(report, 'product', 'after', (c) => c.cache?.l1Ratio);
    const l2 = median(report, 'product', 'after', (c) => c.cache?.l2Ratio);
    rows.push({
      figure: 'hit ratio, Zipf(1.0) reads over 10k products, after warm-up',
      target: '≥ 95 %',
      measured: hit === null ? '—' : `${pct(hit)} (${edge === null ? '' : `edge ${pct(edge)}, `}fast lane ${pct(fast)}, L1 ${pct(l1)}, L2 ${pct(l2)})`,
      pass: hit === null ? null : hit >= 0.95,
    });
    const cpu = median(report, 'product', 'after', (c) => c.cpuMsPerRequest.total);
    const app = median(report, 'product', 'after', (c) => c.cpuMsPerRequest.app);
    rows.push({
      figure: 'CPU time per cached product GET (Node + nginx + Redis ÷ requests)',
      target: `≤ ${CPU_TARGET_US} µs`,
      measured: cpu === null ? '—' : `${fmt(cpu * 1000, 0)} µs (Node ${fmt((app ?? 0) * 1000, 0)} µs, rest nginx + Redis)`,
      pass: cpu === null ? null : cpu * 1000 <= CPU_TARGET_US,
    });
  }
  return rows;
}

const verdict = (pass: boolean | null): string => (pass === null ? '' : pass ? 'met' : '**missed**');

export function targetsText(report: BenchReport): string {
  return targets(report)
    .map((r) => `${r.pass === null ? '  ' : r.pass ? '✓ ' : '✗ '}${r.figure}: ${r.measured} (target ${r.target})`)
    .join('\n');
}

/** The cache column: the hit ratio and its share per layer (nginx's edge cache first where it ran). */
function cacheText(report: BenchReport, scenario: Scenario, point: Point): string {
  const m = (figure: (c: BenchCell) => number | null | undefined) => median(report, scenario, point, figure);
  const hit = m((c) => c.cache?.hitRatio);
  const edge = m((c) => c.cache?.edgeRatio);
  const layers = `${edge === null ? '' : `edge ${pct(edge)}, `}fast lane ${pct(m((c) => c.cache?.fastRatio))}, L1 ${pct(m((c) => c.cache?.l1Ratio))}`;
  return hit === null ? '—' : `${pct(hit)} (${layers})`;
}

function scenarioRows(report: BenchReport): string[] {
  const rows: string[] = [];
  for (const scenario of report.settings.scenarios) {
    const ceiling = median(report, scenario, 'ceiling', (c) => c.max.rps);
    for (const point of scenarioPoints(report, scenario)) {
      const m = (figure: (c: BenchCell) => number | null | undefined) => median(report, scenario, point, figure);
      const rps = m((c) => c.max.rps);
      const cpu = m((c) => c.cpuMsPerRequest.total);
      rows.push(
        `| ${SCENARIO_LABELS[scenario]} | ${point} | ${fmt(rps, 0)} | ${pct(rps !== null && ceiling ? rps / ceiling : null)} | ${fmt(m((c) => c.half.p50), 2)} / ${fmt(m((c) => c.half.p95), 2)} / ${fmt(m((c) => c.half.p99), 2)} | ${fmt(m((c) => c.half.timerLagP99), 2)} | ${fmt(m((c) => c.max.errors + c.half.errors), 0)} | ${fmt(m((c) => c.bytesPerResponse), 0)} | ${pct(m((c) => c.compression))} | ${cacheText(report, scenario, point)} | ${fmt(cpu === null ? null : cpu * 1000, 0)} | ${fmt(m((c) => c.peakRssMB.app), 0)} |`,
      );
    }
  }
  return rows;
}

/**
 * The sentence naming every setting that differs from the shipped defaults (BRIEF §5). `code`
 * marks a setting's name: markdown backticks by default, plain for the HTML page.
 */
export function overridesText(overrides: readonly BenchOverride[] | undefined, code: (name: string) => string = (name) => `\`${name}\``): string {
  if (overrides === undefined) return 'Settings that differ from the shipped defaults: not recorded by this (older) run.';
  if (overrides.length === 0) return 'The stack runs as shipped: no setting differs from its default.';
  return `The stack runs as shipped (LOG_LEVEL info, every middleware on) except: ${overrides
    .map((o) => `${code(o.setting)} ${o.value} (shipped ${o.shipped}: ${o.why})`)
    .join('; ')}.`;
}

/** How the latency points were taken, said once for the README and the HTML page; the lane-only point only when it ran. */
export function latencyText(report: BenchReport): string {
  const laneOnly = reportPoints(report).includes('after-lane-only')
    ? " after-lane-only: the after point's services behind nginx without its edge cache, every hit answered by the fast lane (design 1 alone; product only). The ceiling's nginx runs without the edge cache too."
    : '';
  return (
    `Latency: open loop at half of the maximum, generated by ${generatorText(report)}; beside each p99, how late that generator ` +
    `sent its requests against its schedule (p99, ms), the error bar of the latencies.${laneOnly}`
  );
}

export function markdown(report: BenchReport, jsonFile: string, htmlFile: string): string {
  const s = report.settings;
  return [
    `Latest run: ${report.at.slice(0, 16).replace('T', ' ')} UTC, ${s.quick ? '`npm run bench -- --quick`' : '`npm run bench`'} on ${report.machine.cpus} × ${report.machine.cpuModel}, ${report.machine.memoryGB} GiB; Node ${report.machine.node}; ${report.machine.mongo}; ${s.products.toLocaleString('en-US')} products; ${s.connections} connections, ${s.warmupS} s warm-up, ${s.durationS} s per run, ${s.rounds} round(s) with the point order rotating. Load, servers, Redis and the database share the machine. Figures: [${path.basename(jsonFile)}](${jsonFile}); charts: [${path.basename(htmlFile)}](${htmlFile}).`,
    '',
    overridesText(s.overrides),
    '',
    '| figure (BRIEF §5) | target | measured | |',
    '| --- | --- | --- | --- |',
    ...targets(report).map((r) => `| ${r.figure} | ${r.target} | ${r.measured} | ${verdict(r.pass)} |`),
    '',
    `Per scenario and point (medians over rounds). req/s: closed loop, flat out. ${latencyText(report)}`,
    '',
    '| scenario | point | max req/s | % of ceiling | p50 / p95 / p99 ms at half max | generator lag p99 ms | errors | bytes/response | compression | cache hits | CPU µs/request (Node + nginx + Redis) | peak RSS MB (Node) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...scenarioRows(report),
  ].join('\n');
}

/** Rewrites the README between its bench markers; returns what it did. */
export function updateReadme(report: BenchReport, jsonFile: string, htmlFile: string): string {
  const text = readFileSync(README, 'utf8');
  const begin = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (begin === -1 || end < begin) return 'no bench markers in README.md; left alone';
  writeFileSync(README, `${text.slice(0, begin + BEGIN.length)}\n${markdown(report, jsonFile, htmlFile)}\n${text.slice(end)}`);
  return 'updated';
}

const COLORS: Record<Point, string> = { ceiling: '#8a94a6', before: '#d9822b', after: '#0b5fff', 'after-lane-only': '#2a9d8f' };
const escapeHtml = (text: string): string => text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);
const BAR_WIDTH = 440;

/**
 * Grouped horizontal bars, one group per scenario with a bar per point it was measured at; log
 * scale when values span more than 20×. `note` adds a text after a bar's value.
 */
function barChart(
  report: BenchReport,
  title: string,
  unit: string,
  figure: (c: BenchCell) => number | null | undefined,
  options: { limits?: Partial<Record<Scenario, number>>; note?: (scenario: Scenario, point: Point) => string } = {},
): string {
  const limits = options.limits ?? {};
  const scenarios = report.settings.scenarios;
  const values = scenarios.flatMap((s) => scenarioPoints(report, s).map((p) => median(report, s, p, figure) ?? 0)).filter((v) => v > 0);
  const top = Math.max(...values, ...Object.values(limits)) * 1.1;
  const bottom = Math.min(...values);
  const log = top / Math.max(bottom, 1e-9) > 20;
  const lo = log ? Math.log10(Math.max(bottom / 2, 1e-3)) : 0;
  const x = (v: number): number => (log ? ((Math.log10(Math.max(v, 1e-3)) - lo) / (Math.log10(top) - lo)) * BAR_WIDTH : (v / top) * BAR_WIDTH);
  const barH = 16;
  const parts: string[] = [];
  let y0 = 30;
  for (const s of scenarios) {
    const points = scenarioPoints(report, s);
    parts.push(`<text x="0" y="${y0 + 10}" class="g">${escapeHtml(SCENARIO_LABELS[s])}</text>`);
    points.forEach((p, pi) => {
      const v = median(report, s, p, figure);
      const y = y0 + 14 + pi * barH;
      const w = v === null ? 0 : Math.max(1, x(v));
      const note = options.note?.(s, p) ?? '';
      parts.push(`<rect x="230" y="${y}" width="${w.toFixed(1)}" height="${barH - 3}" fill="${COLORS[p]}"><title>${p}: ${v === null ? 'not measured' : v.toFixed(2)} ${unit}${escapeHtml(note)}</title></rect>`);
      parts.push(`<text x="225" y="${y + 11}" class="p">${p}</text><text x="${(235 + w).toFixed(1)}" y="${y + 11}" class="v">${v === null ? '—' : v >= 100 ? v.toFixed(0) : v.toFixed(2)}${escapeHtml(note)}</text>`);
    });
    const limit = limits[s];
    if (limit !== undefined) parts.push(`<line x1="${(230 + x(limit)).toFixed(1)}" x2="${(230 + x(limit)).toFixed(1)}" y1="${y0 + 12}" y2="${y0 + 14 + points.length * barH}" class="t"><title>target ${limit} ${unit}</title></line>`);
    y0 += points.length * barH + 22;
  }
  const height = y0 + 10;
  return `<figure><figcaption>${escapeHtml(title)} (${unit}${log ? ', log scale' : ''})</figcaption><svg viewBox="0 0 820 ${height}" width="820" height="${height}" role="img" aria-label="${escapeHtml(title)}">${parts.join('')}</svg></figure>`;
}

/** The p99 chart's note: the generator's own lag behind its schedule, p99 (its error bar). */
function lagNote(report: BenchReport): (scenario: Scenario, point: Point) => string {
  return (scenario, point) => {
    const lag = median(report, scenario, point, (c) => c.half.timerLagP99);
    return lag === null ? '' : ` · lag ${lag.toFixed(2)}`;
  };
}

export function renderHtml(report: BenchReport): string {
  const rows = targets(report)
    .map((r) => `<tr class="${r.pass === null ? '' : r.pass ? 'ok' : 'bad'}"><td>${escapeHtml(r.figure)}</td><td>${escapeHtml(r.target)}</td><td>${escapeHtml(r.measured)}</td><td>${r.pass === null ? '' : r.pass ? 'met' : 'missed'}</td></tr>`)
    .join('');
  const legend = reportPoints(report)
    .map((p) => `<span><i style="background:${COLORS[p]}"></i>${p}</span>`)
    .join(' ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>perf-shop bench ${escapeHtml(report.at)}</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;color:#1b2330;margin:2rem auto;max-width:900px;padding:0 1rem}
h1{font-size:1.4rem}table{border-collapse:collapse;width:100%;margin:1rem 0}td,th{border-bottom:1px solid #d5dbe5;padding:.35rem .5rem;text-align:left;vertical-align:top}
tr.ok td:last-child{color:#11703a;font-weight:600}tr.bad td:last-child{color:#b3261e;font-weight:600}
figure{margin:1.5rem 0}figcaption{font-weight:600;margin-bottom:.25rem}svg text{font:12px system-ui,sans-serif;fill:#1b2330}svg text.p{text-anchor:end;fill:#4f5b6d}svg text.g{font-weight:600}
svg line.t{stroke:#b3261e;stroke-width:2;stroke-dasharray:4 3}.legend span{margin-right:1rem}.legend i{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:-1px}
small{color:#4f5b6d}
</style></head><body>
<h1>perf-shop — before / after / ceiling</h1>
<p><small>${escapeHtml(report.at)} · ${report.machine.cpus} × ${escapeHtml(report.machine.cpuModel)} · ${report.machine.memoryGB} GiB · Node ${escapeHtml(report.machine.node)} · ${escapeHtml(report.machine.mongo)} · ${report.settings.connections} connections · ${report.settings.durationS} s per run · ${report.settings.rounds} round(s)${report.settings.quick ? ' · quick' : ''}</small></p>
<p><small>${escapeHtml(overridesText(report.settings.overrides, (name) => name))}</small></p>
<p><small>${escapeHtml(latencyText(report))}</small></p>
<table><thead><tr><th>figure (BRIEF §5)</th><th>target</th><th>measured</th><th></th></tr></thead><tbody>${rows}</tbody></table>
<p class="legend">${legend}</p>
${barChart(report, 'Maximum throughput', 'req/s', (c) => c.max.rps)}
${barChart(report, 'p99 latency at half of maximum throughput', 'ms', (c) => c.half.p99, { limits: P99_TARGETS_MS, note: lagNote(report) })}
${barChart(report, 'CPU time per request (Node + nginx + Redis)', 'µs', (c) => (c.cpuMsPerRequest.total ?? 0) * 1000)}
${barChart(report, 'Bytes per response on the wire', 'B', (c) => c.bytesPerResponse)}
</body></html>
`;
}
