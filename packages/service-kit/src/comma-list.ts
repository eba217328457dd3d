/** The entries of a comma-separated setting, each trimmed, blanks dropped (`' a, ,b '` → `['a', 'b']`). */
export const commaList = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
