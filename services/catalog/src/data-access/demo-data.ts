/**
 * Pure, deterministic generator of realistic demo e-commerce catalog data.
 *
 * - No I/O, no Math.random, no Date: the output depends only on (products, seed).
 * - Prefix-stable: product i is generated from its own PRNG seeded by (seed, i),
 *   so asking for 10 000 products yields the same first 100 products as asking
 *   for 100. Re-seeding with a bigger N therefore only adds documents.
 * - All brand names are invented.
 */

export interface DemoCategory {
  slug: string;
  name: string;
}

export interface DemoProduct {
  sku: string;
  name: string;
  description: string;
  brand: string;
  categorySlug: string;
  priceCents: number;
  currency: 'USD';
  attributes: Record<string, string | number | boolean>;
  images: { url: string; alt: string }[];
  rating: { average: number; count: number };
  popularity: number;
}

export interface DemoStock {
  sku: string;
  warehouse: string;
  quantity: number;
}

export interface DemoCatalog {
  categories: DemoCategory[];
  products: DemoProduct[];
  stock: DemoStock[];
}

export const DEMO_WAREHOUSES: readonly string[] = Object.freeze(['ams-1', 'fra-1', 'lon-1']);

export const MAX_DEMO_PRODUCTS = 200_000;
const DEFAULT_SEED = 42;
const OUT_OF_STOCK_RATE = 0.08;

// ---------------------------------------------------------------------------
// PRNG helpers
// ---------------------------------------------------------------------------

type Rng = () => number;

/** mulberry32: tiny, fast 32-bit PRNG returning floats in [0, 1); the same seed replays the same run. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** murmur3 finalizer: a good 32-bit avalanche mix. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Independent per-product seed derived from (seed, index). */
function productSeed(seed: number, index: number): number {
  return fmix32((seed >>> 0) ^ fmix32((index + 0x9e3779b9) >>> 0));
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  if (items.length === 0) throw new Error('pick() from an empty list');
  return items[Math.floor(rng() * items.length)] as T;
}

function intBetween(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

function chance(rng: Rng, p: number): boolean {
  return rng() < p;
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

// ---------------------------------------------------------------------------
// Category definitions
// ---------------------------------------------------------------------------

type Attrs = Record<string, string | number | boolean>;

interface CategoryDef {
  slug: string;
  name: string;
  prefix: string;
  /** Relative share of products in this category. */
  weight: number;
  brands: readonly string[];
  models: readonly string[];
  adjectives: readonly string[];
  /** Price range in whole dollars; final price is within [min.00, max.99]. */
  priceDollars: readonly [number, number];
  attributes: (rng: Rng) => Attrs;
  /** Optional model suffix derived from attributes, e.g. screen size "14". */
  suffix?: (attrs: Attrs, rng: Rng) => string;
  noun: (attrs: Attrs, rng: Rng) => string;
  /** Factual sentences about the product, used to build descriptions. */
  facts: (attrs: Attrs, brand: string) => string[];
}

const COLORS = ['Black', 'White', 'Graphite', 'Silver', 'Navy', 'Forest Green', 'Sand', 'Crimson', 'Slate Blue'];

const CATEGORY_DEFS: readonly CategoryDef[] = [
  {
    slug: 'laptops',
    name: 'Laptops',
    prefix: 'LAP',
    weight: 9,
    brands: ['Nordvik', 'Veloxa', 'Quantaro', 'Helixon'],
    models: ['Aero', 'Vertex', 'Strata', 'Nimbus', 'Forge', 'Zenith', 'Pulse', 'Atlas'],
    adjectives: ['Ultralight', 'Pro', 'Creator', 'Gaming', 'Business', 'Slim'],
    priceDollars: [499, 3499],
    attributes: (r) => ({
      ramGb: pick(r, [8, 16, 16, 32, 64]),
      storageGb: pick(r, [256, 512, 512, 1024, 2048]),
      screenInches: pick(r, [13.3, 14, 14, 15.6, 16, 17.3]),
      cpu: pick(r, ['8-core', '10-core', '12-core', '16-core']),
      weightKg: round1(1.0 + r() * 1.6),
      touchscreen: chance(r, 0.3),
      color: pick(r, ['Silver', 'Graphite', 'Black', 'Space Gray']),
    }),
    suffix: (a) => String(Math.round(Number(a['screenInches']))),
    noun: (_a, r) => pick(r, ['Laptop', 'Laptop', 'Notebook', 'Ultrabook']),
    facts: (a) => [
      `Packs a ${a['cpu']} processor with ${a['ramGb']} GB of RAM and a ${a['storageGb']} GB SSD.`,
      `The ${a['screenInches']}-inch ${a['touchscreen'] ? 'touchscreen ' : ''}display is sharp and bright enough for work outdoors.`,
      `Weighs just ${a['weightKg']} kg, so it slips easily into a backpack.`,
      `All-day battery life and fast charging keep you productive on the go.`,
    ],
  },
  {
    slug: 'headphones',
    name: 'Headphones',
    prefix: 'HDP',
    weight: 9,
    brands: ['Aurelia', 'Sonivue', 'Tonevik', 'Echora'],
    models: ['Halo', 'Resonance', 'Drift', 'Calm', 'Aria', 'Tempo', 'Studio'],
    adjectives: ['Everyday', 'Studio', 'Sport', 'Travel', 'Premium'],
    priceDollars: [19, 549],
    attributes: (r) => {
      const wireless = chance(r, 0.75);
      return {
        type: pick(r, ['over-ear', 'on-ear', 'in-ear']),
        wireless,
        noiseCancelling: chance(r, 0.5),
        batteryHours: wireless ? intBetween(r, 6, 60) : 0,
        color: pick(r, COLORS),
      };
    },
    suffix: (_a, r) => pick(r, ['', '', '2', '3', 'X', 'Max', 'Mini']),
    noun: (a) => (a['type'] === 'in-ear' ? 'Earbuds' : 'Headphones'),
    facts: (a) => [
      `These ${a['type']} ${a['wireless'] ? 'wireless' : 'wired'} headphones deliver rich bass and crisp highs.`,
      a['noiseCancelling']
        ? 'Active noise cancelling blocks out traffic, engines and office chatter.'
        : 'A passive seal keeps outside noise down without draining power.',
      a['wireless']
        ? `Up to ${a['batteryHours']} hours of battery life with Bluetooth multipoint pairing.`
        : 'A detachable braided cable with an inline microphone is included.',
      `Available in ${String(a['color']).toLowerCase()} with soft memory-foam cushions.`,
    ],
  },
  {
    slug: 'smartphones',
    name: 'Smartphones',
    prefix: 'PHN',
    weight: 7,
    brands: ['Zentrix', 'Calyra', 'Orbiq'],
    models: ['Nova', 'Edge', 'Lumen', 'Flux', 'Prism', 'Orbit'],
    adjectives: ['Pro', 'Plus', 'Lite', 'Ultra'],
    priceDollars: [149, 1599],
    attributes: (r) => ({
      storageGb: pick(r, [64, 128, 128, 256, 512]),
      screenInches: round1(6.0 + r() * 0.9),
      cameraMp: pick(r, [12, 48, 50, 108, 200]),
      batteryMah: pick(r, [3800, 4200, 4500, 5000, 5500]),
      fiveG: chance(r, 0.85),
      color: pick(r, COLORS),
    }),
    suffix: (_a, r) => String(intBetween(r, 5, 15)),
    noun: () => 'Smartphone',
    facts: (a) => [
      `A ${a['screenInches']}-inch OLED screen and ${a['storageGb']} GB of storage.`,
      `The ${a['cameraMp']} MP main camera captures detailed photos even in low light.`,
      `A ${a['batteryMah']} mAh battery easily lasts a full day${a['fiveG'] ? ', with 5G connectivity built in' : ''}.`,
    ],
  },
  {
    slug: 'running-shoes',
    name: 'Running Shoes',
    prefix: 'RUN',
    weight: 10,
    brands: ['Runova', 'Pacera', 'Vantorra', 'Stridewell'],
    models: ['Glide', 'Surge', 'Tempo', 'Cloudstep', 'Ridge', 'Sprint', 'Flow'],
    adjectives: ['Racing', 'Cushioned', 'Lightweight', 'Stability', 'Daily'],
    priceDollars: [49, 249],
    attributes: (r) => {
      const sizeMin = intBetween(r, 35, 40);
      const sizeMax = sizeMin + intBetween(r, 6, 10);
      return {
        sizeMinEu: sizeMin,
        sizeMaxEu: sizeMax,
        sizeRange: `EU ${sizeMin}-${sizeMax}`,
        color: pick(r, COLORS),
        gender: pick(r, ['men', 'women', 'unisex']),
        terrain: pick(r, ['road', 'road', 'trail', 'track']),
        dropMm: pick(r, [0, 4, 6, 8, 10, 12]),
        weightG: intBetween(r, 180, 340),
      };
    },
    suffix: (_a, r) => pick(r, ['', '2', '3', '4', '5', 'GTX']),
    noun: (a) => (a['terrain'] === 'trail' ? 'Trail Running Shoes' : 'Running Shoes'),
    facts: (a) => [
      `Built for ${a['terrain']} running with a ${a['dropMm']} mm heel-to-toe drop.`,
      `A responsive foam midsole and breathable mesh upper weigh only ${a['weightG']} g per shoe.`,
      `Available in ${a['gender'] === 'unisex' ? 'unisex' : `${a['gender']}'s`} sizes ${a['sizeRange']} in ${String(a['color']).toLowerCase()}.`,
    ],
  },
  {
    slug: 'coffee',
    name: 'Coffee',
    prefix: 'COF',
    weight: 10,
    brands: ['Roastwell', 'Altamira Roasters', 'Morning Ember', 'Beanhaven'],
    models: ['Sunrise', 'Velvet', 'Highland', 'Espresso', 'Harvest', 'Midnight', 'Daybreak'],
    adjectives: ['Single-Origin', 'Signature', 'House', 'Reserve', 'Fair-Trade'],
    priceDollars: [8, 39],
    attributes: (r) => ({
      roast: pick(r, ['light', 'medium', 'medium', 'dark']),
      weightG: pick(r, [250, 250, 500, 1000]),
      origin: pick(r, ['Ethiopia', 'Colombia', 'Brazil', 'Guatemala', 'Kenya', 'Sumatra', 'Costa Rica']),
      form: pick(r, ['whole-bean', 'whole-bean', 'ground']),
      organic: chance(r, 0.4),
    }),
    noun: (a) => (a['form'] === 'ground' ? 'Ground Coffee' : 'Coffee Beans'),
    facts: (a) => [
      `A ${a['roast']} roast from ${a['origin']} with notes of ${a['roast'] === 'dark' ? 'dark chocolate and molasses' : a['roast'] === 'light' ? 'citrus and jasmine' : 'caramel and toasted almond'}.`,
      `Sold as ${a['form']} coffee in a resealable ${a['weightG']} g bag.`,
      a['organic'] ? 'Certified organic and roasted in small batches.' : 'Roasted fresh in small batches every week.',
    ],
  },
  {
    slug: 'backpacks',
    name: 'Backpacks',
    prefix: 'BAG',
    weight: 8,
    brands: ['Trekforge', 'Packwell', 'Outvale'],
    models: ['Commuter', 'Summit', 'Daypack', 'Voyager', 'Nomad', 'Metro'],
    adjectives: ['Everyday', 'Rolltop', 'Travel', 'Hiking', 'Urban'],
    priceDollars: [29, 299],
    attributes: (r) => ({
      capacityL: pick(r, [15, 20, 24, 28, 32, 40, 55]),
      material: pick(r, ['recycled nylon', 'canvas', 'ripstop polyester', 'waxed cotton']),
      waterproof: chance(r, 0.45),
      laptopSleeveInches: pick(r, [0, 13, 15, 16, 17]),
      color: pick(r, COLORS),
    }),
    suffix: (a) => `${a['capacityL']}L`,
    noun: () => 'Backpack',
    facts: (a) => [
      `A ${a['capacityL']}-liter pack made from durable ${a['material']}.`,
      Number(a['laptopSleeveInches']) > 0
        ? `A padded sleeve fits laptops up to ${a['laptopSleeveInches']} inches.`
        : 'Multiple organizer pockets keep small items within reach.',
      a['waterproof'] ? 'Fully waterproof with welded seams and a rolltop closure.' : 'Water-resistant coating handles light rain.',
    ],
  },
  {
    slug: 'smartwatches',
    name: 'Smartwatches',
    prefix: 'WAT',
    weight: 6,
    brands: ['Chronex', 'Pulsewave', 'Tempora'],
    models: ['Active', 'Fit', 'Sense', 'Track', 'Vita', 'Core'],
    adjectives: ['Sport', 'Classic', 'Outdoor', 'Slim'],
    priceDollars: [59, 899],
    attributes: (r) => ({
      caseMm: pick(r, [38, 40, 42, 44, 46, 49]),
      batteryDays: intBetween(r, 1, 21),
      gps: chance(r, 0.7),
      waterResistanceM: pick(r, [30, 50, 100]),
      heartRate: true,
      color: pick(r, COLORS),
    }),
    suffix: (_a, r) => String(intBetween(r, 2, 9)),
    noun: () => 'Smartwatch',
    facts: (a) => [
      `A ${a['caseMm']} mm case with an always-on display and up to ${a['batteryDays']} days of battery life.`,
      `Tracks heart rate, sleep and workouts${a['gps'] ? ' with built-in GPS' : ''}.`,
      `Water resistant to ${a['waterResistanceM']} meters for swimming and showers.`,
    ],
  },
  {
    slug: 'cookware',
    name: 'Cookware',
    prefix: 'CKW',
    weight: 8,
    brands: ['Ferrovia', 'Ironleaf', 'Cucina Verde'],
    models: ['Heritage', 'Chef', 'Everyday', 'Bistro', 'Artisan'],
    adjectives: ['Professional', 'Classic', 'Essential', 'Signature', 'Home'],
    priceDollars: [19, 499],
    attributes: (r) => ({
      material: pick(r, ['cast iron', 'stainless steel', 'carbon steel', 'ceramic nonstick', 'copper']),
      diameterCm: pick(r, [20, 24, 26, 28, 30]),
      pieces: pick(r, [1, 1, 1, 3, 5, 10]),
      ovenSafe: chance(r, 0.7),
      inductionReady: chance(r, 0.65),
    }),
    noun: (a, r) =>
      Number(a['pieces']) > 1
        ? `${a['pieces']}-Piece Cookware Set`
        : pick(r, ['Skillet', 'Frying Pan', 'Saucepan', 'Dutch Oven', 'Wok']),
    facts: (a) => [
      `Crafted from ${a['material']} for even heating and easy cleanup.`,
      `The ${a['diameterCm']} cm cooking surface is ${a['inductionReady'] ? 'ready for induction and all stovetops' : 'suitable for gas and electric stovetops'}.`,
      a['ovenSafe'] ? 'Oven safe for braising, roasting and baking.' : 'Dishwasher safe for quick weeknight cleanup.',
    ],
  },
  {
    slug: 'desk-chairs',
    name: 'Desk Chairs',
    prefix: 'CHR',
    weight: 6,
    brands: ['Ergonova', 'Sitwell', 'Postura'],
    models: ['Balance', 'Contour', 'Align', 'Flex', 'Motion'],
    adjectives: ['Ergonomic', 'Executive', 'Premium', 'Compact', 'Gaming'],
    priceDollars: [89, 1299],
    attributes: (r) => ({
      upholstery: pick(r, ['mesh', 'mesh', 'fabric', 'leather', 'vegan leather']),
      maxLoadKg: pick(r, [110, 120, 136, 150]),
      adjustableArmrests: chance(r, 0.75),
      lumbarSupport: chance(r, 0.8),
      color: pick(r, ['Black', 'Gray', 'White', 'Navy']),
    }),
    noun: (_a, r) => pick(r, ['Desk Chair', 'Office Chair', 'Task Chair']),
    facts: (a) => [
      `A breathable ${a['upholstery']} seat supports up to ${a['maxLoadKg']} kg.`,
      `${a['lumbarSupport'] ? 'Adjustable lumbar support' : 'A contoured backrest'} and ${a['adjustableArmrests'] ? '4D armrests' : 'fixed armrests'} keep long workdays comfortable.`,
      'Smooth-rolling casters and a tilt lock make it easy to move and recline.',
    ],
  },
  {
    slug: 'tents',
    name: 'Tents',
    prefix: 'TNT',
    weight: 5,
    brands: ['Summitra', 'Campora', 'Wildcrest'],
    models: ['Basecamp', 'Ridgeline', 'Trailhead', 'Alpine', 'Meadow'],
    adjectives: ['Ultralight', 'Backpacking', 'Family', 'Expedition'],
    priceDollars: [59, 899],
    attributes: (r) => {
      const capacityPersons = pick(r, [1, 2, 2, 3, 4, 6]);
      return {
        capacityPersons,
        seasons: pick(r, [3, 3, 4]),
        weightKg: round1(0.9 + capacityPersons * (0.5 + r() * 0.7)),
        waterproofRatingMm: pick(r, [1500, 2000, 3000, 5000]),
        freestanding: chance(r, 0.7),
      };
    },
    suffix: (a) => `${a['capacityPersons']}P`,
    noun: () => 'Tent',
    facts: (a) => [
      `Sleeps ${a['capacityPersons']} and weighs ${a['weightKg']} kg packed.`,
      `A ${a['seasons']}-season design with a ${a['waterproofRatingMm']} mm waterproof rainfly.`,
      a['freestanding'] ? 'Freestanding poles pitch in minutes on rock or sand.' : 'A trekking-pole pitch saves weight on long trails.',
    ],
  },
  {
    slug: 'board-games',
    name: 'Board Games',
    prefix: 'GAM',
    weight: 6,
    brands: ['Dicewright', 'Boardhollow', 'Meeplecraft'],
    models: ['Harbor Lights', 'Crown of Ash', 'Starfarers', 'Lost Orchard', 'Iron Rails', 'Tidewatch', 'Clockwork Keep'],
    adjectives: ['Deluxe', 'Family', 'Strategy', 'Party', 'Collector\'s'],
    priceDollars: [14, 149],
    attributes: (r) => {
      const minPlayers = pick(r, [1, 2, 2, 3]);
      const maxPlayers = minPlayers + intBetween(r, 1, 5);
      return {
        minPlayers,
        maxPlayers,
        players: `${minPlayers}-${maxPlayers}`,
        playTimeMin: pick(r, [20, 30, 45, 60, 90, 120, 180]),
        minAge: pick(r, [6, 8, 10, 12, 14]),
        genre: pick(r, ['strategy', 'cooperative', 'party', 'deck-building', 'worker-placement', 'family']),
      };
    },
    suffix: (_a, r) => pick(r, ['', '', '', 'Second Edition', 'Big Box']),
    noun: () => 'Board Game',
    facts: (a) => [
      `A ${a['genre']} game for ${a['players']} players that plays in about ${a['playTimeMin']} minutes.`,
      `Recommended for ages ${a['minAge']} and up.`,
      'Includes illustrated cards, wooden tokens and a quick-start rulebook.',
    ],
  },
  {
    slug: 'skincare',
    name: 'Skincare',
    prefix: 'SKN',
    weight: 7,
    brands: ['Dewlune', 'Solenne', 'Aloera', 'Lumisk'],
    models: ['Hydra', 'Glow', 'Pure', 'Renew', 'Bloom', 'Calm'],
    adjectives: ['Daily', 'Gentle', 'Intensive', 'Overnight', 'Mineral'],
    priceDollars: [9, 129],
    attributes: (r) => {
      const productType = pick(r, ['moisturizer', 'serum', 'cleanser', 'sunscreen', 'face mask']);
      return {
        productType,
        volumeMl: pick(r, [30, 50, 100, 150, 200]),
        skinType: pick(r, ['all', 'dry', 'oily', 'combination', 'sensitive']),
        fragranceFree: chance(r, 0.55),
        spf: productType === 'sunscreen' ? pick(r, [30, 50]) : 0,
      };
    },
    noun: (a) => {
      const t = String(a['productType']);
      return t.replace(/(^|\s)\S/g, (c) => c.toUpperCase());
    },
    facts: (a) => [
      `A ${a['volumeMl']} ml ${a['productType']} formulated for ${a['skinType']} skin.`,
      Number(a['spf']) > 0
        ? `Broad-spectrum SPF ${a['spf']} protection without a white cast.`
        : 'Hyaluronic acid and niacinamide help keep skin hydrated and smooth.',
      a['fragranceFree'] ? 'Fragrance-free and dermatologist tested.' : 'Lightly scented with natural botanical extracts.',
    ],
  },
];

const PITCHES: readonly ((p: { name: string; brand: string; category: string }) => string)[] = [
  // Phrased to avoid subject-verb agreement with plural nouns ("Running Shoes", "Earbuds").
  (p) => `From ${p.brand} comes the ${p.name}, a dependable pick at a fair price.`,
  (p) => `Meet the ${p.name}, one of our most versatile ${p.category.toLowerCase()}.`,
  (p) => `${p.brand} designed the ${p.name} for everyday use.`,
  (p) => `Upgrade your setup with the ${p.name}.`,
  (p) => `Thoughtful design meets solid value in the ${p.name}.`,
];

const CATEGORY_WEIGHT_TOTAL = CATEGORY_DEFS.reduce((sum, c) => sum + c.weight, 0);

function pickCategory(rng: Rng): CategoryDef {
  let x = rng() * CATEGORY_WEIGHT_TOTAL;
  for (const c of CATEGORY_DEFS) {
    x -= c.weight;
    if (x < 0) return c;
  }
  return CATEGORY_DEFS[CATEGORY_DEFS.length - 1] as CategoryDef;
}

// ---------------------------------------------------------------------------
// Per-product generation
// ---------------------------------------------------------------------------

/**
 * Price: log-uniform in the category's dollar range (so cheap items are more
 * common than expensive ones), rounded to a "shelf" step, then ~85% end in .99,
 * ~10% are round .00 and ~5% end in .49.
 */
function drawPriceCents(rng: Rng, [minD, maxD]: readonly [number, number]): number {
  const d = Math.exp(Math.log(minD) + rng() * (Math.log(maxD) - Math.log(minD)));
  const step = d >= 200 ? 10 : d >= 50 ? 5 : 1;
  let dollars = Math.round(d / step) * step;
  const endingRoll = rng();
  let cents: number;
  if (endingRoll < 0.85) {
    // x.99 just below the step, e.g. 1300 -> 1299.99
    if (step > 1) dollars -= 1;
    cents = 99;
  } else if (endingRoll < 0.95) {
    cents = 0;
  } else {
    cents = 49;
  }
  dollars = Math.min(Math.max(dollars, minD), maxD);
  return dollars * 100 + cents;
}

/**
 * Popularity: each product draws u ~ Uniform(0, 1] and gets popularity
 * round(10 / u), capped at 1 000 000. That is a Pareto distribution with tail
 * index alpha = 1 (P(pop > x) = 10 / x), whose rank-frequency plot is Zipf
 * with exponent ~1: a handful of products get very high popularity while the
 * median product sits around 20. Because it is a per-product draw (not a
 * rank within N), it is prefix-stable.
 */
function drawPopularity(rng: Rng): number {
  const u = 1 - rng(); // (0, 1]
  return Math.min(1_000_000, Math.max(1, Math.round(10 / u)));
}

function generateProduct(seed: number, index: number): { product: DemoProduct; stock: DemoStock[] } {
  const rng = mulberry32(productSeed(seed, index));
  const cat = pickCategory(rng);
  const brand = pick(rng, cat.brands);
  const model = pick(rng, cat.models);
  const attributes = cat.attributes(rng);
  const suffix = cat.suffix ? cat.suffix(attributes, rng) : '';
  const adjectiveCandidate = chance(rng, 0.4) ? pick(rng, cat.adjectives) : '';
  const noun = cat.noun(attributes, rng);
  // Avoid stutter like "Studio Studio Headphones" or "Task Task Chair".
  const usedWords = new Set(`${model} ${suffix} ${noun}`.toLowerCase().split(' '));
  const adjective = usedWords.has(adjectiveCandidate.toLowerCase()) ? '' : adjectiveCandidate;
  const name = [brand, model, suffix, adjective, noun].filter((s) => s !== '').join(' ');

  // Description: one pitch sentence plus 0-2 distinct fact sentences (1-3 total).
  const facts = cat.facts(attributes, brand);
  const sentences = [pick(rng, PITCHES)({ name, brand, category: cat.name })];
  const factCount = intBetween(rng, 0, Math.min(2, facts.length));
  const start = Math.floor(rng() * facts.length);
  for (let k = 0; k < factCount; k++) {
    sentences.push(facts[(start + k) % facts.length] as string);
  }
  const description = sentences.join(' ');

  const sku = `${cat.prefix}-${String(index).padStart(6, '0')}`;
  const priceCents = drawPriceCents(rng, cat.priceDollars);
  const popularity = drawPopularity(rng);

  // Ratings skew positive: 5 - 2.5 * u^2 has mean ~4.2; count tracks popularity.
  const ru = rng();
  const average = Math.min(5, Math.max(2.5, round1(5 - 2.5 * ru * ru)));
  const count = Math.max(1, Math.round(popularity * (0.02 + rng() * 0.08)));

  const imageCount = intBetween(rng, 1, 3);
  const skuLower = sku.toLowerCase();
  const images: { url: string; alt: string }[] = [];
  for (let n = 1; n <= imageCount; n++) {
    images.push({ url: `/img/products/${skuLower}-${n}.webp`, alt: name });
  }

  // Stock: 1-3 distinct warehouses (kept in DEMO_WAREHOUSES order).
  const warehouseCount = intBetween(rng, 1, DEMO_WAREHOUSES.length);
  const order = DEMO_WAREHOUSES.map((w, k) => ({ w, k, r: rng() }));
  order.sort((a, b) => a.r - b.r || a.k - b.k);
  const chosen = order.slice(0, warehouseCount).sort((a, b) => a.k - b.k);
  const outOfStock = chance(rng, OUT_OF_STOCK_RATE);
  const stock: DemoStock[] = chosen.map(({ w }) => ({
    sku,
    warehouse: w,
    quantity: outOfStock ? 0 : chance(rng, 0.15) ? 0 : intBetween(rng, 1, 250),
  }));
  if (!outOfStock && stock.every((s) => s.quantity === 0)) {
    (stock[0] as DemoStock).quantity = intBetween(rng, 1, 250);
  }

  return {
    product: {
      sku,
      name,
      description,
      brand,
      categorySlug: cat.slug,
      priceCents,
      currency: 'USD',
      attributes,
      images,
      rating: { average, count },
      popularity,
    },
    stock,
  };
}

/**
 * Generate a deterministic demo catalog. Product numbering starts at 1
 * (e.g. `LAP-000013` for the first laptop; numbers run across all categories); product i depends only on (seed, i), so the result for
 * N products is a prefix of the result for any M > N.
 */
export function generateDemoCatalog(options: { products: number; seed?: number }): DemoCatalog {
  const n = options.products;
  if (!Number.isInteger(n) || n < 0 || n > MAX_DEMO_PRODUCTS) {
    throw new RangeError(`products must be an integer between 0 and ${MAX_DEMO_PRODUCTS}, got ${String(n)}`);
  }
  const seed = options.seed ?? DEFAULT_SEED;
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`seed must be a safe integer, got ${String(seed)}`);
  }

  const categories: DemoCategory[] = CATEGORY_DEFS.map((c) => ({ slug: c.slug, name: c.name }));
  const products: DemoProduct[] = new Array<DemoProduct>(n);
  const stock: DemoStock[] = [];
  for (let i = 0; i < n; i++) {
    const generated = generateProduct(seed, i + 1);
    products[i] = generated.product;
    for (const s of generated.stock) stock.push(s);
  }
  return { categories, products, stock };
}
