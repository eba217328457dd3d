import { tokenize } from './text.ts';
import type { Highlight } from './types.ts';

/** Longest description excerpt a hit carries. */
export const SNIPPET_LENGTH = 160;

/** Offsets of the words of `text` that are among `matched` (folded terms), or null when none is. */
function rangesIn(text: string, matched: ReadonlySet<string>): [number, number][] | null {
  const ranges: [number, number][] = [];
  for (const token of tokenize(text)) if (matched.has(token.term)) ranges.push([token.start, token.end]);
  return ranges.length > 0 ? ranges : null;
}

/** A field's highlight: the whole text with its matched words. */
export function highlightField(field: Highlight['field'], text: string, matched: ReadonlySet<string>): Highlight | null {
  const ranges = rangesIn(text, matched);
  return ranges ? { field, text, ranges } : null;
}

/**
 * A description excerpt of at most SNIPPET_LENGTH characters starting a little before the first
 * matched word, cut at word boundaries, with "…" where text was left out.
 */
export function highlightSnippet(text: string, matched: ReadonlySet<string>): Highlight | null {
  const ranges = rangesIn(text, matched);
  const first = ranges?.[0];
  if (!ranges || !first) return null;
  const [firstStart, firstEnd] = first;
  let start = Math.max(0, firstStart - 40);
  if (start > 0) {
    const space = text.indexOf(' ', start);
    start = space !== -1 && space < firstStart ? space + 1 : firstStart;
  }
  let end = Math.min(text.length, start + SNIPPET_LENGTH);
  if (end < text.length) {
    const space = text.lastIndexOf(' ', end);
    if (space > firstEnd) end = space;
  }
  const lead = start > 0 ? '…' : '';
  const snippet = lead + text.slice(start, end) + (end < text.length ? '…' : '');
  const shift = lead.length - start;
  return {
    field: 'description',
    text: snippet,
    ranges: ranges.filter(([s, e]) => s >= start && e <= end).map(([s, e]) => [s + shift, e + shift]),
  };
}
