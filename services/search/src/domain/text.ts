/**
 * How text becomes search terms. Indexing and querying use the same rules, so a query term and
 * an indexed term meet only when they are written the same way after folding.
 */

/** Longer runs of letters are cut here: no real word is longer, and it bounds per-term work. */
export const MAX_TERM_LENGTH = 40;

export interface Token {
  /** Folded form: lowercase, accents removed. */
  term: string;
  /** Offsets of the original run in the source text, for highlighting. */
  start: number;
  end: number;
}

// Runs of letters, digits and combining marks; everything else separates terms. Never built
// from user input, so no input can make it backtrack.
const WORD = /[\p{L}\p{N}\p{M}]+/gu;
const MARKS = /\p{M}/gu;
const NON_ASCII = /[\u0080-\uffff]/;

/** Lowercase, compatibility-decomposed, accents stripped: "Café" → "cafe", "ﬁ" → "fi". */
export function fold(text: string): string {
  // Plain ASCII (nearly every word here) has nothing to decompose.
  if (!NON_ASCII.test(text)) return text.toLowerCase();
  return text.normalize('NFKD').replace(MARKS, '').toLowerCase();
}

/** Every term of `text` with its position. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  for (const match of text.matchAll(WORD)) {
    const term = fold(match[0]).slice(0, MAX_TERM_LENGTH);
    if (term) tokens.push({ term, start: match.index, end: match.index + match[0].length });
  }
  return tokens;
}

/** The distinct terms of `text`. */
export function terms(text: string): string[] {
  return [...new Set(tokenize(text).map((t) => t.term))];
}

export const isNumeric = (term: string): boolean => /^\d+$/.test(term);
