/**
 * One-typo matching: a query word of five letters or more also matches indexed terms one edit
 * away (a letter deleted, inserted, replaced, or two neighbours swapped). Candidates are
 * generated from the query word and looked up, so the index carries nothing extra for it.
 */

/** Shorter words are matched exactly: one edit in a four-letter word is a different word. */
export const TYPO_MIN_LENGTH = 5;

/**
 * Every string one edit from `word` over `alphabet` (the characters the index holds; a
 * character it does not hold cannot appear in a match). At most 2·|alphabet|·(n+1) + 2n strings.
 */
export function oneEditVariants(word: string, alphabet: readonly string[]): Set<string> {
  const out = new Set<string>();
  const n = word.length;
  for (let i = 0; i < n; i++) out.add(word.slice(0, i) + word.slice(i + 1));
  for (let i = 0; i < n - 1; i++) {
    if (word[i] !== word[i + 1]) out.add(word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2));
  }
  for (let i = 0; i <= n; i++) {
    const head = word.slice(0, i);
    const tail = word.slice(i);
    const replacedTail = word.slice(i + 1);
    for (const c of alphabet) {
      out.add(head + c + tail);
      if (i < n && c !== word[i]) out.add(head + c + replacedTail);
    }
  }
  out.delete(word);
  return out;
}
