// The storefront end to end (issue W7): Debian's headless Chromium, driven by playwright-core,
// through nginx in front of the real PM2 cluster (2 workers per service), the test run's
// MongoDB-wire server and Redis. Screenshots of every step go to artifacts/storefront/.
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { seedCatalog } from '@shop/catalog/seed';
import { testDatabase, type TestDatabase } from '@shop/db/testing';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { repoRoot, runDir } from '../../scripts/lib/paths.ts';
import { buildStorefront, type StorefrontBuild } from '../../scripts/lib/storefront-build.ts';
import { startStack, status, stopAllStacks, type Stack } from './stack-harness.ts';

const CHROMIUM = '/usr/bin/chromium';
// What this machine's Chromium needs (notes: env): no sandbox as root, and none of the background
// connections that a closed network refuses. playwright-core adds --headless and a fresh profile.
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const IMMUTABLE = 'public, max-age=31536000, immutable';
const LCP_BUDGET_MS = 1_000;
const CLS_BUDGET = 0.1;
/** The order service's budget per client per window: small, so the 429 step can reach it. */
const ORDER_RATE_LIMIT = 20;
const RATE_WINDOW_MS = 5_000;
const artifacts = path.join(repoRoot, 'artifacts', 'storefront');
const BROTLI_STATIC = existsSync('/usr/lib/nginx/modules/ngx_http_brotli_static_module.so');

let db: TestDatabase;
let stack: Stack;
let build: StorefrontBuild;
let browser: Browser;

async function shot(page: Page, name: string): Promise<void> {
  const file = path.join(artifacts, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot: ${path.relative(repoRoot, file)}`);
}

async function newPage(): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: stack.edge });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  return { context, page, errors };
}

/** A GET with exactly these request headers (fetch would add and decode its own Accept-Encoding). */
function rawGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      })
      .on('error', reject);
  });
}

/**
 * The page's own largest-contentful-paint and layout shifts, as the browser recorded them. Runs in
 * the page (a string: this file is typed for Node, not the DOM).
 */
const PAGE_VITALS = `new Promise((resolve) => {
  let cls = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) if (!entry.hadRecentInput) cls += entry.value;
  }).observe({ type: 'layout-shift', buffered: true });
  new PerformanceObserver((list) => {
    const last = list.getEntries().at(-1);
    setTimeout(() => resolve({ lcp: last ? last.startTime : NaN, cls, element: last && last.element ? last.element.outerHTML.slice(0, 120) : '' }), 0);
  }).observe({ type: 'largest-contentful-paint', buffered: true });
  setTimeout(() => resolve({ lcp: NaN, cls, element: 'no largest-contentful-paint entry within 5 s' }), 5000);
})`;

const pageVitals = (page: Page): Promise<{ lcp: number; cls: number; element: string }> => page.evaluate(PAGE_VITALS);

/** The storefront's vitals beacons as the catalog's cluster-wide /metrics counts them. */
async function vitalsCount(name: 'lcp_seconds' | 'cls', page: string): Promise<number> {
  const text = await (await fetch(`${stack.edge}/metrics/catalog`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`web_vitals_${name}_count{`) && l.includes(`page="${page}"`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

async function waitFor<T>(what: string, probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium chromium-driver; .ci/run does)`);
  rmSync(artifacts, { recursive: true, force: true });
  mkdirSync(artifacts, { recursive: true });
  db = await testDatabase('e2e_storefront');
  await seedCatalog(db.models, { products: 300 });
  // Under .run (readable by nginx's unprivileged workers, unlike a private temp dir).
  build = await buildStorefront(path.join(runDir, `storefront-${db.dbName}`));
  stack = await startStack({
    instances: 2,
    staticRoot: build.outDir,
    env: {
      ...db.serviceEnv,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      REDIS_URL: process.env.REDIS_URL,
      DEMO_SIGN_IN: 'true',
      RATE_LIMIT_MAX: '1000000',
      RATE_LIMIT_WINDOW_MS: String(RATE_WINDOW_MS),
      ORDER_RATE_LIMIT_MAX: String(ORDER_RATE_LIMIT),
    },
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
  console.log(`Chromium ${browser.version()} → nginx ${stack.edge} → ${stack.workers().length} PM2 workers; database ${db.dbName}`);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stopAllStacks();
  await db?.drop();
  if (build) rmSync(build.outDir, { recursive: true, force: true });
}, 60_000);

describe('the storefront in a real browser', () => {
  it('when a shopper browses, searches, opens a product, adds it to the cart and checks out as the demo customer, then the order is in their history', async () => {
    const { context, page, errors } = await newPage();
    try {
      // Browse: the listing is the landing page; its LCP and CLS are the budgets of the issue.
      await page.goto('/');
      await page.locator('.grid .card').first().waitFor();
      const vitals = await pageVitals(page);
      console.log(`listing: LCP ${vitals.lcp.toFixed(0)} ms (${vitals.element}), CLS ${vitals.cls.toFixed(4)}`);
      expect(vitals.lcp).toBeLessThan(LCP_BUDGET_MS);
      expect(vitals.cls).toBeLessThan(CLS_BUDGET);
      expect(await page.locator('.grid .card').count()).toBe(24);
      await shot(page, '01-listing');

      await page.locator('.categories a', { hasText: 'Headphones' }).click();
      await page.waitForURL(/\/\?category=headphones$/);
      await page.locator('h1', { hasText: 'Headphones' }).waitFor();
      expect(await page.locator('.categories a[aria-current="page"]').textContent()).toBe('Headphones');
      const inCategory = Number((await page.locator('.listing .summary').textContent())!.match(/of ([\d,]+) products/)![1]!.replace(/,/g, ''));
      expect(inCategory).toBeGreaterThan(0);
      expect(inCategory).toBeLessThan(300);

      // Search: type-ahead offers the completed word; the keyboard picks it.
      await page.locator('#search-q').fill('headph');
      const firstOption = page.locator('#search-suggestions [role="option"]').first();
      await firstOption.waitFor();
      expect(await page.locator('#search-q').getAttribute('aria-expanded')).toBe('true');
      expect(await firstOption.textContent()).toContain('headphones');
      await shot(page, '02-type-ahead');
      await page.locator('#search-q').press('ArrowDown');
      expect(await page.locator('#search-q').getAttribute('aria-activedescendant')).toBe('suggestion-0');
      await page.locator('#search-q').press('Enter');
      await page.locator('h1', { hasText: 'Results for “headphones”' }).waitFor();
      expect(await page.locator('.results mark').count()).toBeGreaterThan(0);

      // Facets: "In stock only" narrows the results and the URL says so.
      expect(await page.locator('.facet a', { hasText: /^Headphones \(\d+\)$/ }).count()).toBe(1);
      await page.locator('.facet-toggle a', { hasText: 'In stock only' }).click();
      await page.locator('.facet-toggle a[aria-current="true"]').waitFor();
      expect(page.url()).toContain('inStock=true');
      expect(await page.locator('.results .stock.out').count()).toBe(0);
      await shot(page, '03-search');

      // Product: stock is shown; two go into the cart.
      const productName = (await page.locator('.results .card-name').first().textContent())!;
      await page.locator('.results .card-link').first().click();
      await page.locator('.product h1', { hasText: productName }).waitFor();
      expect(await page.locator('#stock').textContent()).toMatch(/In stock|left in stock/);
      const max = Number(await page.locator('#quantity').getAttribute('max'));
      const quantity = Math.min(2, max);
      await page.locator('#quantity').fill(String(quantity));
      await page.getByRole('button', { name: 'Add to cart' }).click();
      await page.locator('.add-to-cart .status', { hasText: `Added ${quantity} × ${productName}` }).waitFor();
      expect(await page.locator('#cart-count').textContent()).toBe(String(quantity));
      await shot(page, '04-product');

      // Cart, then checkout as a demo customer.
      await page.locator('.site-header a[href="/cart"]').click();
      await page.locator('.cart-table th', { hasText: productName }).waitFor();
      await shot(page, '05-cart');
      await page.getByRole('link', { name: 'Go to checkout' }).click();
      await page.getByRole('button', { name: 'Sign in as a demo customer' }).click();
      await page.getByRole('button', { name: 'Place order' }).click();

      // The order, in the history.
      await page.waitForURL(/\/orders\?placed=[0-9a-f]{24}$/);
      const placedId = new URL(page.url()).searchParams.get('placed')!;
      const placed = page.locator(`.order[data-order-id="${placedId}"]`);
      await placed.waitFor();
      expect(await placed.textContent()).toContain(`${quantity} × ${productName}`);
      expect(await page.locator('.notice.success').textContent()).toContain('Thank you');
      expect(await page.locator('#cart-count').textContent()).toBe('0');
      await shot(page, '06-order-history');

      const stored = await db.models.Order.findById(placedId).lean<{ customerId: string; lines: { name: string; quantity: number }[] }>();
      expect(stored?.customerId).toMatch(/^demo-/);
      expect(stored?.lines).toEqual([expect.objectContaining({ name: productName, quantity })]);

      // Reloading the history page (a full page load of a deep link) shows the same order.
      await page.reload();
      await page.locator(`.order[data-order-id="${placedId}"]`).waitFor();

      // The landing page's LCP reached the performance API when the shopper first navigated.
      const counted = await waitFor('LCP beacons for the listing', () => vitalsCount('lcp_seconds', 'listing'), (n) => n >= 1);
      console.log(`web vitals recorded by the catalog: ${counted} LCP reading(s) for page="listing"`);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);

  it('when checkout meets 409 out of stock, a stopped order service (503), a rate limit (429) and a lost answer, then each is explained in words and the order is placed exactly once', async () => {
    const product = await db.models.Product.findOne({ stockTotal: { $gte: 5 } }).lean();
    const productId = product!._id.toHexString();
    const { context, page, errors } = await newPage();
    try {
      await page.goto(`/product/${productId}`);
      await page.locator('#quantity').fill('3');
      await page.getByRole('button', { name: 'Add to cart' }).click();
      await page.locator('.add-to-cart .status', { hasText: 'Added 3' }).waitFor();
      await page.goto('/checkout');
      await page.getByRole('button', { name: 'Sign in as a demo customer' }).click();
      const placeOrder = page.getByRole('button', { name: 'Place order' });
      const keys: string[] = [];
      page.on('request', (req) => {
        if (req.method() === 'POST' && req.url().endsWith('/api/orders')) keys.push(req.headers()['idempotency-key'] ?? '');
      });
      const problem = page.locator('.place-order .form-error');

      // 409: someone bought the last units between "add to cart" and "place order".
      const rows = await db.models.Stock.find({ productId: product!._id }).lean();
      await db.models.Stock.updateMany({ productId: product!._id }, { $set: { quantity: 0 } });
      await placeOrder.click();
      await problem.filter({ hasText: `Sorry, ${product!.name} is out of stock` }).waitFor();
      console.log(`409 shown as: ${await problem.textContent()}`);
      expect(await page.locator('#cart-count').textContent()).toBe('3');
      await shot(page, '07-out-of-stock');
      for (const row of rows) await db.models.Stock.updateOne({ _id: row._id }, { $set: { quantity: row.quantity } });

      // 503: the order service is down; nginx answers for it.
      await stack.pm2Async(['stop', 'order']);
      await placeOrder.click();
      await problem.filter({ hasText: /unavailable right now.*your cart is kept/ }).waitFor();
      console.log(`503 shown as: ${await problem.textContent()}`);
      await shot(page, '08-service-unavailable');
      await stack.pm2Async(['start', 'order']);
      await waitFor('order service ready through nginx', () => status(`${stack.edge}/api/orders/health/ready`), (code) => code === 200, 60_000);

      // 429: this client has spent the order service's budget for the window.
      // Spent early in a window, so that it is still closed when the shopper clicks.
      let spent = 0;
      for (;;) {
        const res = await rawGet(`${stack.edge}/api/orders`);
        if (++spent > ORDER_RATE_LIMIT * 10) throw new Error(`no 429 after ${spent} requests`);
        if (res.status !== 429) continue;
        const left = Number(res.headers['retry-after']);
        if (left >= 3) break;
        await new Promise((r) => setTimeout(r, left * 1_000 + 200));
      }
      await placeOrder.click();
      await problem.filter({ hasText: /Too many requests right now\. Please wait \d+ seconds?/ }).waitFor();
      console.log(`429 (after ${spent} requests) shown as: ${await problem.textContent()}`);
      await shot(page, '09-rate-limited');

      // When the window has passed, the order is placed, but its answer is lost on the way back
      // (the connection resets after the order service replied): the shopper cannot know.
      await new Promise((r) => setTimeout(r, RATE_WINDOW_MS + 500));
      const customerId = (await page.evaluate(() => JSON.parse(localStorage.getItem('shop.session.v1') ?? '{}').customerId)) as string;
      let lost = false;
      await page.route('**/api/orders', async (route) => {
        if (route.request().method() !== 'POST' || lost) return route.fallback();
        lost = true;
        const reply = await route.fetch();
        console.log(`the order service answered ${reply.status()}; the browser gets a connection reset instead`);
        await route.abort('connectionreset');
      });
      await placeOrder.click();
      await problem.filter({ hasText: /We could not reach the shop.*trying again will not order twice/ }).waitFor();
      expect(await db.models.Order.countDocuments({ customerId })).toBe(1);
      await shot(page, '10-answer-lost');
      await page.unroute('**/api/orders');

      // Trying again sends the same Idempotency-Key: the service replays the order it placed.
      const replay = page.waitForResponse((res) => res.url().endsWith('/api/orders') && res.request().method() === 'POST');
      await placeOrder.click();
      expect((await replay).status()).toBe(201);
      expect((await replay).headers()['idempotent-replayed']).toBe('true');
      await page.waitForURL(/\/orders\?placed=[0-9a-f]{24}$/);
      const orders = await db.models.Order.find({ customerId }).lean<{ lines: { quantity: number }[] }[]>();
      expect(orders).toHaveLength(1);
      expect(orders[0]!.lines[0]!.quantity).toBe(3);
      // Every attempt after the 409 (which dropped its key) carried one key.
      console.log(`Idempotency-Keys sent: ${keys.map((k) => k.slice(0, 11)).join(', ')}`);
      expect(keys).toHaveLength(5);
      expect(new Set(keys.slice(1)).size).toBe(1);
      expect(keys[0]).not.toBe(keys[1]);
      await shot(page, '11-placed-once');
      expect(errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);

  it('when hashed assets are fetched, then they are immutable for a year and precompressed; the page itself is revalidated', async () => {
    const html = await rawGet(`${stack.edge}/`, { 'accept-encoding': 'identity' });
    expect(html.status).toBe(200);
    expect(html.headers['cache-control']).toBe('no-cache');
    const urls = [...html.body.toString().matchAll(/"(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(urls.sort()).toEqual(build.assets.map((a) => `/${a.file}`).sort());
    for (const asset of build.assets) {
      const url = `${stack.edge}/${asset.file}`;
      const br = await rawGet(url, { 'accept-encoding': 'br, gzip' });
      const gzip = await rawGet(url, { 'accept-encoding': 'gzip' });
      const plain = await rawGet(url, { 'accept-encoding': 'identity' });
      for (const res of [br, gzip, plain]) {
        expect(res.status).toBe(200);
        expect(res.headers['cache-control']).toBe(IMMUTABLE);
      }
      expect(br.headers['content-encoding']).toBe(BROTLI_STATIC ? 'br' : 'gzip');
      expect(br.body.length).toBe(BROTLI_STATIC ? asset.brotliBytes : asset.gzipBytes);
      expect(gzip.headers['content-encoding']).toBe('gzip');
      expect(gzip.body.length).toBe(asset.gzipBytes);
      expect(gzip.headers.vary).toMatch(/Accept-Encoding/i);
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.body.length).toBe(asset.bytes);
      console.log(`${asset.file}: ${asset.bytes} B, br ${br.body.length} B (${Math.round((1 - br.body.length / asset.bytes) * 100)} % smaller), gzip ${gzip.body.length} B — ${br.headers['cache-control']}`);
    }
    expect(readFileSync(path.join(build.outDir, 'index.html'), 'utf8')).toBe(html.body.toString());

    // A hashed name that does not exist is a 404, never the page; so is the build's manifest; a
    // missing product photo is the placeholder.
    expect((await rawGet(`${stack.edge}/assets/main.0123456789ab.js`)).status).toBe(404);
    expect((await rawGet(`${stack.edge}/.manifest.json`)).status).toBe(404);
    expect(existsSync(path.join(build.outDir, '.manifest.json'))).toBe(true);
    const photo = await rawGet(`${stack.edge}/img/products/no-such-photo-1.webp`);
    expect(photo.status).toBe(200);
    expect(photo.headers['content-type']).toBe('image/svg+xml');

    // What the browser itself received.
    const { context, page } = await newPage();
    try {
      const encodings = new Map<string, string | undefined>();
      page.on('response', (res) => {
        if (res.url().includes('/assets/')) encodings.set(new URL(res.url()).pathname, res.headers()['content-encoding']);
      });
      await page.goto('/');
      await page.locator('.grid .card').first().waitFor();
      // The script and the stylesheet (headless Chromium may not ask for the icon).
      const scriptAndStyles = urls.filter((u) => /\.(js|css)$/.test(u)).sort();
      expect(scriptAndStyles).toHaveLength(2);
      expect([...encodings.keys()].filter((u) => /\.(js|css)$/.test(u)).sort()).toEqual(scriptAndStyles);
      for (const url of scriptAndStyles) expect(encodings.get(url)).toBe(BROTLI_STATIC ? 'br' : 'gzip');
    } finally {
      await context.close();
    }
  }, 60_000);
});
