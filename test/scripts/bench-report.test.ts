import { describe, expect, it } from '@jest/globals';
import { latencyText, markdown, median, overridesText, renderHtml, targets, targetsText, type BenchCell, type BenchReport } from '../../scripts/bench/report.ts';
import { SCENARIO_LABELS, type Scenario } from '../../scripts/bench/scenarios.ts';
import { afterServiceEnv, BENCH_DEPLOYMENT_SETTINGS, BENCH_OVERRIDES, benchOverrides, type Point } from '../../scripts/bench/targets.ts';

type CellChanges = Omit<Partial<BenchCell>, 'max' | 'half'> & { max?: Partial<BenchCell['max']>; half?: Partial<BenchCell['half']> };

function cell(scenario: Scenario, point: Point, round: number, changes: CellChanges = {}): BenchCell {
  const { max, half, ...rest } = changes;
  return {
    scenario,
    point,
    round,
    max: { rps: 1_000, errors: 0, statuses: { '200': 10_000 }, answered: 10_000, p99: 3, ...max },
    half: { rate: 500, rps: 500, p50: 0.5, p95: 1, p99: 2, max: 4, errors: 0, timerLagP99: 0.1, ...half },
    bytesPerResponse: 300,
    identityBytesPerResponse: null,
    compression: null,
    cpuMsPerRequest: { app: 0.03, edge: 0.01, cache: 0.01, total: 0.05 },
    peakRssMB: { app: 120, edge: 10 },
    cache: null,
    ...rest,
  };
}

const productCache = (hitRatio: number) => ({ fast: 70, l1: 10, l2: 15, miss: 5, fastRatio: 0.7, l1Ratio: 0.1, l2Ratio: 0.15, hitRatio });

/**
 * Three rounds of product, search and order at every point. Medians (product): ceiling 2,500 req/s,
 * before 100, after 2,000 (20× before, reported; exactly 80 % of the ceiling); after's p99 at half
 * 5 ms, hit ratio 0.95, 120 µs of CPU per request; search: ceiling 1,000, before 12, after 600
 * (exactly 60 % and 50×), p99 exactly 10 ms; order p99 25.5 ms (missed).
 */
function baseCells(): BenchCell[] {
  const cells: BenchCell[] = [];
  for (const round of [0, 1, 2]) {
    cells.push(cell('product', 'ceiling', round, { max: { rps: [2_600, 2_500, 2_400][round]! } }));
    // The before point is uncompressed; it must not count for the compression target.
    cells.push(cell('product', 'before', round, { max: { rps: [130, 100, 90][round]! }, identityBytesPerResponse: 5_000, bytesPerResponse: 5_000, compression: 0 }));
    cells.push(
      cell('product', 'after', round, {
        max: { rps: [2_100, 2_000, 1_900][round]! },
        half: { p99: [6, 5, 4][round]!, rate: [700, 750, 800][round]! },
        cpuMsPerRequest: { app: 0.03, edge: 0.05, cache: 0.04, total: 0.12 },
        cache: productCache([0.99, 0.95, 0.9][round]!),
        identityBytesPerResponse: 2_000,
        bytesPerResponse: 500,
        compression: 0.75,
      }),
    );
    for (const point of ['ceiling', 'before'] as const) cells.push(cell('order', point, round));
    cells.push(cell('search', 'ceiling', round));
    cells.push(cell('search', 'before', round, { max: { rps: 12 } }));
    // Search answers under 1 KiB: not counted for compression, however little they shrink.
    cells.push(cell('search', 'after', round, { max: { rps: 600 }, half: { p99: 10, rate: 400 }, identityBytesPerResponse: 1_023, bytesPerResponse: 1_000, compression: 1 - 1_000 / 1_023 }));
    cells.push(cell('order', 'after', round, { half: { p99: 25.5, rate: 200 } }));
  }
  return cells;
}

function makeReport(cells: BenchCell[] = baseCells(), changes: Partial<BenchReport> = {}): BenchReport {
  return {
    at: '2025-01-02T03:04:05.678Z',
    settings: { quick: false, rounds: 3, durationS: 10, warmupS: 3, connections: 32, products: 10_000, scenarios: ['product', 'search', 'order'], clientHeaders: { 'Accept-Encoding': 'br, gzip' } },
    machine: { cpus: 2, cpuModel: 'Test CPU @ 2.0GHz', memoryGB: 8, node: 'v24.0.0', mongo: 'MongoDB 4.4.0', redis: 'Redis 7' },
    cells,
    l1: { addedByL1HitUs: 50, l1HitMedianUs: 80, floorMedianUs: 30 },
    durationS: 600,
    ...changes,
  };
}

/** The base cells with the product-after ones changed (every round alike). */
function withProductAfter(changes: CellChanges): BenchCell[] {
  return baseCells().map((c) =>
    c.scenario === 'product' && c.point === 'after'
      ? { ...c, ...changes, max: { ...c.max, ...changes.max }, half: { ...c.half, ...changes.half } }
      : c,
  );
}

const row = (report: BenchReport, figure: string) => targets(report).find((r) => r.figure === figure);

const VS_BEFORE = 'cached product GET, after vs before, req/s';
const VS_CEILING = 'cached product GET, after vs ceiling, req/s';
const L1 = 'server time added by an L1 hit (median)';
const P99 = (s: Scenario) => `p99 at half of max throughput: ${SCENARIO_LABELS[s]}`;
const COMPRESSION = 'compression of JSON responses ≥ 1 KB (least compressed scenario)';
const HIT = 'hit ratio, Zipf(1.0) reads over 10k products, after warm-up';
const CPU = 'CPU time per cached product GET (Node + nginx + Redis ÷ requests)';
const SEARCH_VS_BEFORE = 'cached search, after vs before, req/s';
const SEARCH_VS_CEILING = 'cached search, after vs ceiling, req/s';

describe('median (scripts/bench/report.ts)', () => {
  it('when there are three rounds, then it is the middle value whatever the order', () => {
    const report = makeReport();
    expect(median(report, 'product', 'after', (c) => c.max.rps)).toBe(2_000);
    expect(median(report, 'product', 'before', (c) => c.max.rps)).toBe(100);
    expect(median(report, 'product', 'ceiling', (c) => c.max.rps)).toBe(2_500);
    expect(median(report, 'product', 'after', (c) => c.half.p99)).toBe(5);
  });

  it('when there are two rounds, then it is their mean', () => {
    const report = makeReport([cell('search', 'after', 0, { max: { rps: 100 } }), cell('search', 'after', 1, { max: { rps: 301 } })]);
    expect(median(report, 'search', 'after', (c) => c.max.rps)).toBe(200.5);
  });

  it('when a figure is null, undefined or not finite in some rounds, then only the measured rounds count', () => {
    const report = makeReport([
      cell('product', 'after', 0, { cache: productCache(0.5) }),
      cell('product', 'after', 1, { cache: null }),
      cell('product', 'after', 2, { cache: productCache(Number.NaN) }),
      cell('product', 'after', 3, { cache: productCache(0.7) }),
      cell('product', 'after', 4, { cache: productCache(Number.POSITIVE_INFINITY) }),
    ]);
    expect(median(report, 'product', 'after', (c) => c.cache?.hitRatio)).toBeCloseTo(0.6, 12);
  });

  it('when no cell matches (or none measured the figure), then it is null', () => {
    const report = makeReport();
    expect(median(report, 'list', 'after', (c) => c.max.rps)).toBeNull();
    expect(median(report, 'search', 'after', (c) => c.cache?.hitRatio)).toBeNull();
  });
});

describe('targets (scripts/bench/report.ts)', () => {
  it('when every figure sits exactly on its target, then every row is met (order: missed at 25.5 ms) with exact figures and texts', () => {
    expect(targets(makeReport())).toEqual([
      { figure: VS_BEFORE, target: 'reported', measured: '20.0× (2,000 vs 100)', pass: null },
      { figure: VS_CEILING, target: '≥ 80 %', measured: '80.0 % (2,000 vs 2,500)', pass: true },
      { figure: SEARCH_VS_BEFORE, target: '≥ 50×', measured: '50.0× (600 vs 12)', pass: true },
      { figure: SEARCH_VS_CEILING, target: '≥ 60 %', measured: '60.0 % (600 vs 1,000)', pass: true },
      { figure: L1, target: '≤ 50 µs', measured: '50.0 µs: L1 hit 80.0 µs vs 30.0 µs for the same compressed bytes without the cache, whole request in Express (bench:cache --quick)', pass: true },
      { figure: P99('product'), target: '≤ 5 ms', measured: '5.00 ms at 750 req/s (generator lag p99 0.10 ms)', pass: true },
      { figure: P99('search'), target: '≤ 10 ms', measured: '10.00 ms at 400 req/s (generator lag p99 0.10 ms)', pass: true },
      { figure: P99('order'), target: '≤ 25 ms', measured: '25.50 ms at 200 req/s (generator lag p99 0.10 ms)', pass: false },
      { figure: COMPRESSION, target: '≥ 75 % smaller', measured: '75.0 % (product: 2,000 → 500 B)', pass: true },
      { figure: HIT, target: '≥ 95 %', measured: '95.0 % (fast lane 70.0 %, L1 10.0 %, L2 15.0 %)', pass: true },
      { figure: CPU, target: '≤ 120 µs', measured: '120 µs (Node 30 µs, rest nginx + Redis)', pass: true },
    ]);
  });

  it('when search after is just under 50× before or 60 % of the ceiling, then those targets are missed', () => {
    const report = makeReport(baseCells().map((c) => (c.scenario === 'search' && c.point === 'after' ? { ...c, max: { ...c.max, rps: 599 } } : c)));
    expect(row(report, SEARCH_VS_BEFORE)!.pass).toBe(false);
    expect(row(report, SEARCH_VS_CEILING)!.pass).toBe(false);
  });

  it('when after is just under 80 % of the ceiling, then that target is missed', () => {
    const report = makeReport(withProductAfter({ max: { rps: 1_999 } }));
    expect(row(report, VS_CEILING)!.pass).toBe(false);
    expect(row(report, VS_CEILING)!.measured).toBe('80.0 % (1,999 vs 2,500)');
  });

  it('when a cached product GET costs just over 120 µs of CPU, then that target is missed', () => {
    const report = makeReport(withProductAfter({ cpuMsPerRequest: { app: 0.03, edge: 0.05, cache: 0.04, total: 0.1201 } }));
    expect(row(report, CPU)!.pass).toBe(false);
  });

  it('when before or ceiling measured 0 req/s or nothing, then the ratio rows are not judged', () => {
    const cells = baseCells()
      .filter((c) => !(c.scenario === 'product' && c.point === 'ceiling'))
      .map((c) => (c.scenario === 'product' && c.point === 'before' ? { ...c, max: { ...c.max, rps: 0 } } : c));
    const report = makeReport(cells);
    expect(row(report, VS_BEFORE)).toEqual({ figure: VS_BEFORE, target: 'reported', measured: '—', pass: null });
    expect(row(report, VS_CEILING)).toEqual({ figure: VS_CEILING, target: '≥ 80 %', measured: '—', pass: null });
  });

  it('when a p99 at half max is just above its limit, then it is missed', () => {
    const report = makeReport(withProductAfter({ half: { p99: 5.01 } }));
    expect(row(report, P99('product'))!.pass).toBe(false);
    const search = makeReport(baseCells().map((c) => (c.scenario === 'search' && c.point === 'after' ? { ...c, half: { ...c.half, p99: 10.001 } } : c)));
    expect(row(search, P99('search'))!.pass).toBe(false);
  });

  it('when the generator lagged more than the target at p99, then the p99 is missed whatever it measured, and the row says why', () => {
    const report = makeReport(withProductAfter({ half: { p99: 1, timerLagP99: 5.01 } }));
    expect(row(report, P99('product'))).toMatchObject({ pass: false, measured: '1.00 ms at 750 req/s (generator lag p99 5.01 ms: above the target, the generator could not keep this rate)' });
    expect(row(makeReport(withProductAfter({ half: { p99: 1, timerLagP99: 5 } })), P99('product'))!.pass).toBe(true);
  });

  it('when the order p99 is exactly 25 ms, then it is met', () => {
    const report = makeReport(baseCells().map((c) => (c.scenario === 'order' && c.point === 'after' ? { ...c, half: { ...c.half, p99: 25 } } : c)));
    expect(row(report, P99('order'))!.pass).toBe(true);
  });

  it('when the hit ratio is just under 0.95, then it is missed; when no cache was read, then it is not judged', () => {
    expect(row(makeReport(withProductAfter({ cache: productCache(0.949) })), HIT)!.pass).toBe(false);
    expect(row(makeReport(withProductAfter({ cache: null })), HIT)).toEqual({ figure: HIT, target: '≥ 95 %', measured: '—', pass: null });
  });

  it('when the L1 probe added just over 50 µs, then it is missed; when it did not run, then it is not judged', () => {
    expect(row(makeReport(undefined, { l1: { addedByL1HitUs: 50.1, l1HitMedianUs: 80, floorMedianUs: 29.9 } }), L1)!.pass).toBe(false);
    // Within noise of the floor, below it included, is met.
    expect(row(makeReport(undefined, { l1: { addedByL1HitUs: -3, l1HitMedianUs: 27, floorMedianUs: 30 } }), L1)!.pass).toBe(true);
    expect(row(makeReport(undefined, { l1: { addedByL1HitUs: 2, l1HitMedianUs: 62, floorMedianUs: 60 } }), L1)!.measured).toBe(
      '2.0 µs: L1 hit 62.0 µs vs 60.0 µs for the same compressed bytes without the cache, whole request in Express (bench:cache --quick)',
    );
    expect(row(makeReport(undefined, { l1: null }), L1)).toEqual({ figure: L1, target: '≤ 50 µs', measured: 'not measured in this run', pass: null });
  });

  it('when an after scenario of ≥ 1024 identity bytes compresses less than 75 %, then it is the one reported and missed', () => {
    const cells = baseCells().map((c) =>
      c.scenario === 'search' && c.point === 'after' ? { ...c, identityBytesPerResponse: 1_024, bytesPerResponse: 512, compression: 0.5 } : c,
    );
    expect(row(makeReport(cells), COMPRESSION)).toEqual({ figure: COMPRESSION, target: '≥ 75 % smaller', measured: '50.0 % (search: 1,024 → 512 B)', pass: false });
  });

  it('when the least compressed counted scenario is just under 75 %, then compression is missed', () => {
    expect(row(makeReport(withProductAfter({ compression: 0.7499 })), COMPRESSION)!.pass).toBe(false);
  });

  it('when no after cell has ≥ 1024 identity bytes and a compression, then there is no compression row', () => {
    const under = makeReport(withProductAfter({ identityBytesPerResponse: 1_023 }));
    expect(row(under, COMPRESSION)).toBeUndefined();
    const unmeasured = makeReport(withProductAfter({ compression: null }));
    expect(row(unmeasured, COMPRESSION)).toBeUndefined();
  });

  it('when a scenario is not in the run, then its rows are left out and its cells ignored (the L1 row stays)', () => {
    const report = makeReport(undefined, { settings: { ...makeReport().settings, scenarios: ['search'] } });
    // The product cells (the only ones ≥ 1 KB here) belong to a scenario this run did not list.
    expect(targets(report).map((r) => r.figure)).toEqual([SEARCH_VS_BEFORE, SEARCH_VS_CEILING, L1, P99('search')]);
  });

  it('when rendered as text, then each row is marked met, missed or reported', () => {
    const lines = targetsText(makeReport()).split('\n');
    expect(lines).toHaveLength(11);
    expect(lines[0]).toBe(`  ${VS_BEFORE}: 20.0× (2,000 vs 100) (target reported)`);
    expect(lines[7]).toBe(`✗ ${P99('order')}: 25.50 ms at 200 req/s (generator lag p99 0.10 ms) (target ≤ 25 ms)`);
    expect(lines[10]).toBe(`✓ ${CPU}: 120 µs (Node 30 µs, rest nginx + Redis) (target ≤ 120 µs)`);
  });
});

describe('markdown (scripts/bench/report.ts)', () => {
  const report = makeReport();
  const text = markdown(report, 'bench-results/bench-2025.json', 'bench-results/bench-2025.html');
  const lines = text.split('\n');

  it('when rendered, then it says when, where and with which settings, and links the files', () => {
    expect(lines[0]).toContain('Latest run: 2025-01-02 03:04 UTC, `npm run bench` on 2 × Test CPU @ 2.0GHz, 8 GiB; Node v24.0.0; MongoDB 4.4.0; 10,000 products; 32 connections, 3 s warm-up, 10 s per run, 3 round(s)');
    expect(lines[0]).toContain('[bench-2025.json](bench-results/bench-2025.json)');
    expect(lines[0]).toContain('[bench-2025.html](bench-results/bench-2025.html)');
  });

  it('when rendered, then the targets table has a row per target with its verdict', () => {
    const header = lines.indexOf('| figure (BRIEF §5) | target | measured | |');
    expect(header).toBeGreaterThan(0);
    expect(lines[header + 1]).toBe('| --- | --- | --- | --- |');
    const rows = targets(report);
    rows.forEach((r, i) => expect(lines[header + 2 + i]).toBe(`| ${r.figure} | ${r.target} | ${r.measured} | ${r.pass === null ? '' : r.pass ? 'met' : '**missed**'} |`));
    expect(lines[header + 2 + rows.length]).toBe('');
  });

  it('when rendered, then the scenario table has exactly one row per scenario × point, with the medians', () => {
    const header = lines.findIndex((l) => l.startsWith('| scenario | point | max req/s |'));
    expect(header).toBeGreaterThan(0);
    const body = lines.slice(header + 2);
    expect(body).toHaveLength(9);
    for (const scenario of ['product', 'search', 'order'] as const) {
      for (const point of ['ceiling', 'before', 'after'] as const) {
        expect(body.filter((l) => l.startsWith(`| ${SCENARIO_LABELS[scenario]} | ${point} |`))).toHaveLength(1);
      }
    }
    // Columns: max req/s, % of ceiling, latency, the generator's lag p99, errors, bytes, compression, cache, CPU, RSS.
    expect(body).toContain('| product GET (Zipf 1.0 over the catalog) | after | 2,000 | 80.0 % | 0.50 / 1.00 / 5.00 | 0.10 | 0 | 500 | 75.0 % | 95.0 % (fast lane 70.0 %, L1 10.0 %) | 120 | 120 |');
    expect(body).toContain('| product GET (Zipf 1.0 over the catalog) | before | 100 | 4.0 % | 0.50 / 1.00 / 2.00 | 0.10 | 0 | 5,000 | 0.0 % | — | 50 | 120 |');
    expect(body).toContain('| product GET (Zipf 1.0 over the catalog) | ceiling | 2,500 | 100.0 % | 0.50 / 1.00 / 2.00 | 0.10 | 0 | 300 | — | — | 50 | 120 |');
  });

  it('when the run was --quick, then it says so', () => {
    const quick = makeReport(undefined, { settings: { ...report.settings, quick: true } });
    expect(markdown(quick, 'a.json', 'a.html')).toContain('`npm run bench -- --quick`');
  });

  // BUG (minor): every column of a point that was not measured shows "—", except the CPU column,
  // which shows "NaN": scenarioRows formats `(median ?? NaN) * 1000`, and fmt only maps null to "—".
  it('when a scenario of the run has no cells at a point, then its row shows — in every figure column', () => {
    const partial = makeReport(undefined, { settings: { ...report.settings, scenarios: ['product', 'search', 'order', 'list'] } });
    const listRows = markdown(partial, 'a.json', 'a.html')
      .split('\n')
      .filter((l) => l.startsWith(`| ${SCENARIO_LABELS.list} |`));
    expect(listRows).toHaveLength(3);
    expect(listRows[0]).toBe(`| ${SCENARIO_LABELS.list} | ceiling | — | — | — / — / — | — | — | — | — | — | — | — |`);
    for (const l of listRows) expect(l).not.toContain('NaN');
  });
});

describe('renderHtml (scripts/bench/report.ts)', () => {
  const hostile = makeReport(undefined, { machine: { ...makeReport().machine, cpuModel: '<script>alert("x")</script> & co' } });
  const html = renderHtml(hostile);

  it('when rendered, then it is one self-contained document: no external scripts, styles, images or fonts', () => {
    expect(html.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect(html).not.toMatch(/url\(\s*["']?\s*(https?:)?\/\//i);
    expect(html).not.toMatch(/@import/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).toContain('<style>');
  });

  it('when rendered, then it holds a chart per figure as inline SVG', () => {
    expect(html.match(/<svg\b/g)).toHaveLength(4);
    expect(html.match(/<\/svg>/g)).toHaveLength(4);
    for (const title of ['Maximum throughput', 'p99 latency at half of maximum throughput', 'CPU time per request (Node + nginx + Redis)', 'Bytes per response on the wire']) {
      expect(html).toContain(`aria-label="${title}"`);
    }
    // A bar per scenario × point in each chart.
    expect(html.match(/<rect\b/g)).toHaveLength(4 * 3 * 3);
  });

  it('when the CPU model carries markup, then it is escaped, and there is no script in the page', () => {
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co');
    expect(html).not.toMatch(/<script/i);
  });

  it('when rendered, then the targets table marks met and missed rows', () => {
    const rows = targets(hostile);
    expect(html.match(/<tr class="ok">/g)).toHaveLength(rows.filter((r) => r.pass === true).length);
    expect(html.match(/<tr class="bad">/g)).toHaveLength(rows.filter((r) => r.pass === false).length);
    expect(html).toContain('<td>25.50 ms at 200 req/s (generator lag p99 0.10 ms)</td><td>missed</td>');
  });
});

describe('the stack as shipped (BRIEF §5: scripts/bench/targets.ts, report.ts)', () => {
  const shipped = ['MONGODB_URI', 'MONGODB_DB', 'REDIS_URL', 'JWT_SECRET', 'CACHE_PREFIX'];
  const env = afterServiceEnv(
    Object.fromEntries(shipped.map((name) => [name, `bench-${name}`])),
    { catalog: 1, order: 2, search: 3 },
    '/tmp/bench-logs',
  );

  it('when the measured services get their environment, then every setting in it is a deployment fact or a listed override, and LOG_LEVEL and NODE_ENV are left to their shipped defaults', () => {
    const listed = new Map(BENCH_OVERRIDES.map((o) => [o.setting, o.value]));
    for (const [name, value] of Object.entries(env)) {
      if (BENCH_DEPLOYMENT_SETTINGS.includes(name)) continue;
      expect({ name, value }).toEqual({ name, value: listed.get(name) });
    }
    expect(env).not.toHaveProperty('LOG_LEVEL');
    expect(env).not.toHaveProperty('NODE_ENV');
    expect(env.RATE_LIMIT_MAX).toBe('1000000000');
  });

  it('when a report carries its overrides, then the README text, the console summary and the charts page name each with its shipped value and why', () => {
    const report = makeReport(undefined, { settings: { ...makeReport().settings, overrides: BENCH_OVERRIDES } });
    const sentence = overridesText(report.settings.overrides);
    expect(sentence).toMatch(/^The stack runs as shipped \(LOG_LEVEL info, every middleware on\) except: /);
    for (const o of BENCH_OVERRIDES) expect(sentence).toContain(`\`${o.setting}\` ${o.value} (shipped ${o.shipped}: ${o.why})`);
    expect(markdown(report, 'a.json', 'a.html').split('\n')[2]).toBe(sentence);
    // The page shows the names plainly: markdown's backticks would be printed as they are.
    const plain = overridesText(report.settings.overrides, (name) => name);
    for (const o of BENCH_OVERRIDES) expect(plain).toContain(`${o.setting} ${o.value} (shipped`);
    expect(plain).not.toContain('`RATE_LIMIT_MAX`');
    expect(renderHtml(report)).toContain(`<p><small>${plain.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')}</small></p>`);
  });

  it('when a report is older than the overrides field, then it says they were not recorded; with none, that nothing differs', () => {
    expect(markdown(makeReport(), 'a.json', 'a.html')).toContain('Settings that differ from the shipped defaults: not recorded by this (older) run.');
    expect(overridesText([])).toBe('The stack runs as shipped: no setting differs from its default.');
  });
});

describe('benchOverrides (scripts/bench/targets.ts)', () => {
  it('when the bench runs with a service setting in its environment, then the report lists it (and never shows the signing secret)', () => {
    const found = benchOverrides({ LOG_LEVEL: 'warn', JWT_SECRET: 'x'.repeat(40), MONGODB_DB: 'bench', PATH: '/bin' });
    expect(found.slice(0, BENCH_OVERRIDES.length)).toEqual(BENCH_OVERRIDES);
    expect(found.slice(BENCH_OVERRIDES.length)).toEqual([{ setting: 'LOG_LEVEL', value: 'warn', shipped: 'its default', why: 'set in the environment `npm run bench` ran in' }]);
    expect(benchOverrides({})).toEqual(BENCH_OVERRIDES);
  });

  it('when the workers run with extra node flags (SHOP_NODE_ARGS, e.g. a profiler), then the report lists them', () => {
    expect(benchOverrides({ SHOP_NODE_ARGS: '--cpu-prof' }).slice(BENCH_OVERRIDES.length)).toEqual([
      { setting: 'SHOP_NODE_ARGS', value: '--cpu-prof', shipped: 'unset', why: 'set in the environment `npm run bench` ran in' },
    ]);
  });
});

describe('the lane-only point, the edge layer and the generator (scripts/bench/report.ts)', () => {
  const LANE = 'cached product GET, after-lane-only (design 1 alone: the fast lane, no edge cache) vs ceiling, req/s';
  const ALL_POINTS: Point[] = ['ceiling', 'before', 'after', 'after-lane-only'];
  // The after point with its edge cache answering most product GETs; the lane-only point on product only.
  const edgeCache = { edge: 900, fast: 70, l1: 10, l2: 15, miss: 5, edgeRatio: 0.9, fastRatio: 0.07, l1Ratio: 0.01, l2Ratio: 0.015, hitRatio: 0.995 };
  const cells = [
    ...baseCells().map((c) => (c.scenario === 'product' && c.point === 'after' ? { ...c, cache: edgeCache, edgeCache: { statuses: { 'HIT-EDGE': 88, 'STALE-EDGE': 2, 'HIT-FAST': 10 }, hitRatio: 0.9 } } : c)),
    ...[0, 1, 2].map((round) =>
      cell('product', 'after-lane-only', round, {
        max: { rps: [1_500, 1_600, 1_700][round]! },
        half: { p99: 1.5, timerLagP99: 0.05 },
        cache: productCache(0.99),
      }),
    ),
  ];
  const report = makeReport(cells, { settings: { ...makeReport().settings, points: ALL_POINTS, generator: 'vegeta v12.13.0' } });

  it("when the run measured it, then a reported-only row gives its share of the ceiling beside the after point's req/s, and the targets stay the after point's", () => {
    expect(row(report, LANE)).toEqual({ figure: LANE, target: "reported (the targets are the after point's)", measured: '64.0 % (1,600 vs 2,500; after 2,000)', pass: null });
    expect(row(makeReport(), LANE)).toBeUndefined();
  });

  it('when the edge cache answered, then the hit ratio counts it as a layer, first', () => {
    expect(row(report, 'hit ratio, Zipf(1.0) reads over 10k products, after warm-up')?.measured).toBe('99.5 % (edge 90.0 %, fast lane 7.0 %, L1 1.0 %, L2 1.5 %)');
    // Runs from before the edge cache have no edge layer: the figure reads as it did.
    expect(row(makeReport(), 'hit ratio, Zipf(1.0) reads over 10k products, after warm-up')?.measured).toBe('95.0 % (fast lane 70.0 %, L1 10.0 %, L2 15.0 %)');
  });

  it('when rendered, then only the product scenario has a lane-only row; the cache column lists the edge first where it ran', () => {
    const lines = markdown(report, 'a.json', 'a.html').split('\n');
    const body = lines.slice(lines.findIndex((l) => l.startsWith('| scenario | point |')) + 2);
    expect(body).toHaveLength(4 + 3 + 3);
    expect(body.filter((l) => l.includes('| after-lane-only |')).map((l) => l.split(' | ')[0])).toEqual([`| ${SCENARIO_LABELS.product}`]);
    expect(body).toContain('| product GET (Zipf 1.0 over the catalog) | after-lane-only | 1,600 | 64.0 % | 0.50 / 1.00 / 1.50 | 0.05 | 0 | 300 | — | 99.0 % (fast lane 70.0 %, L1 10.0 %) | 50 | 120 |');
    expect(body.find((l) => l.startsWith(`| ${SCENARIO_LABELS.product} | after |`))).toContain('| 99.5 % (edge 90.0 %, fast lane 7.0 %, L1 1.0 %) |');
  });

  it('when rendered, then the text names the generator; an older report names the Node client', () => {
    expect(markdown(report, 'a.json', 'a.html')).toContain('generated by vegeta v12.13.0;');
    expect(markdown(makeReport(), 'a.json', 'a.html')).toContain('generated by the Node client (scripts/lib/open-loop.ts);');
    expect(renderHtml(report)).toContain('generated by vegeta v12.13.0;');
  });

  it('when rendered, then the README and the page say the same latency sentence, naming the lane-only point only when it was measured', () => {
    const sentence = latencyText(report);
    expect(sentence).toContain('after-lane-only: ');
    expect(markdown(report, 'a.json', 'a.html')).toContain(sentence);
    expect(renderHtml(report)).toContain(sentence);
    const without = makeReport();
    expect(latencyText(without)).not.toContain('after-lane-only');
    expect(markdown(without, 'a.json', 'a.html')).not.toContain('after-lane-only');
  });

  it('when the charts are drawn, then each has a bar per measured scenario × point, the legend has the fourth point, and the p99 bars carry the generator lag', () => {
    const html = renderHtml(report);
    expect(html.match(/<rect\b/g)).toHaveLength(4 * (4 + 3 + 3));
    expect(html).toContain('</i>after-lane-only</span>');
    expect(html).toContain('>1.50 · lag 0.05</text>');
    // Only the p99 chart has the note, in each bar's label and its tooltip.
    expect(html.match(/ · lag /g)).toHaveLength(2 * (4 + 3 + 3));
  });
});

