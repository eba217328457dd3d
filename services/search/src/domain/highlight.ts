import { MAX_TERM_LENGTH, tokenize } from './text.ts';
import type { Highlight } from './types.ts';

/** Longest description excerpt a hit carries. */
export const SNIPPET_LENGTH = 160;

/** Anything but printable ASCII and tab/newline: such text goes through the tokenizer. */
const NON_ASCII = /[^\x20-\x7e\t\n\r]/;

/** A letter or digit: in ASCII text, exactly the characters a term is made of. */
function isWordChar(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

/**
 * Offsets of the words of `text` that are among `matched` (folded terms), in order, or null when
 * none is. The same words `tokenize` would find; ASCII text (nearly every product) is searched
 * for each matched term in place, so a hit costs no allocation per word of its description.
 */
export function rangesIn(text: string, matched: ReadonlySet<string>): [number, number][] | null {
  if (NON_ASCII.test(text)) return tokenRanges(text, matched);
  // ASCII folds to lowercase with every offset kept.
  const lower = text.toLowerCase();
  const ranges: [number, number][] = [];
  for (const term of matched) {
    if (term.length === 0) continue;
    for (let at = lower.indexOf(term); at !== -1; at = lower.indexOf(term, at + 1)) {
      if (at > 0 && isWordChar(lower.charCodeAt(at - 1))) continue;
      let end = at + term.length;
      if (end < lower.length && isWordChar(lower.charCodeAt(end))) {
        // Only a term cut at MAX_TERM_LENGTH continues: the range covers the whole run.
        if (term.length < MAX_TERM_LENGTH) continue;
        while (end < lower.length && isWordChar(lower.charCodeAt(end))) end++;
      }
      ranges.push([at, end]);
    }
  }
  // Distinct terms never match at the same offset (a run has one term), so starts are unique.
  return ranges.length > 0 ? ranges.sort((a, b) => a[0] - b[0]) : null;
}

function tokenRanges(text: string, matched: ReadonlySet<string>): [number, number][] | null {
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
