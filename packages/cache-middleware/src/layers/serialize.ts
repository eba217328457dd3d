import type { CacheEntry } from '../entry.ts';

/** JSON with Buffers kept as base64 (HTTP entries hold compressed bytes). */
export function serializeEntry(entry: CacheEntry): string {
  return JSON.stringify(entry, function replacer(this: Record<string, unknown>, key, value: unknown) {
    const raw = this[key];
    return Buffer.isBuffer(raw) ? { $b64: raw.toString('base64') } : value;
  });
}

export function deserializeEntry(text: string): CacheEntry | undefined {
  const parsed = JSON.parse(text, (_key, value: unknown) => {
    if (value && typeof value === 'object' && '$b64' in value && typeof value.$b64 === 'string') {
      return Buffer.from(value.$b64, 'base64');
    }
    return value;
  }) as Partial<CacheEntry> | null;
  if (!parsed || typeof parsed.freshUntil !== 'number' || !Array.isArray(parsed.tags)) return undefined;
  return parsed as CacheEntry;
}
