import { describe, expect, it } from '@jest/globals';
import { highlightSegments, type Segment } from '../src/lib/highlight.ts';

const joined = (segments: Segment[]): string => segments.map((s) => s.text).join('');
const marked = (segments: Segment[]): string[] => segments.filter((s) => s.mark).map((s) => s.text);

describe('highlightSegments', () => {
  it('when there are no ranges, then the whole text is one unmarked segment', () => {
    expect(highlightSegments('Blue kettle', [])).toEqual([{ text: 'Blue kettle', mark: false }]);
  });

  it('when one range is in the middle, then the text splits into before, match and after', () => {
    expect(highlightSegments('Blue kettle 1.7 l', [[5, 11]])).toEqual([
      { text: 'Blue ', mark: false },
      { text: 'kettle', mark: true },
      { text: ' 1.7 l', mark: false },
    ]);
  });

  it('when a range starts at 0 and one ends at the end, then there are no empty segments', () => {
    expect(highlightSegments('red and blue', [[0, 3], [8, 12]])).toEqual([
      { text: 'red', mark: true },
      { text: ' and ', mark: false },
      { text: 'blue', mark: true },
    ]);
  });

  it('when the range covers the whole text, then there is one marked segment', () => {
    expect(highlightSegments('lamp', [[0, 4]])).toEqual([{ text: 'lamp', mark: true }]);
  });

  it('when ranges are unsorted, then segments come out in text order', () => {
    expect(highlightSegments('one two three', [[8, 13], [0, 3]])).toEqual([
      { text: 'one', mark: true },
      { text: ' two ', mark: false },
      { text: 'three', mark: true },
    ]);
  });

  it('when ranges overlap, then the overlapping part is marked once and nothing is repeated', () => {
    const segments = highlightSegments('abcdefghij', [[2, 6], [4, 8]]);
    expect(segments).toEqual([
      { text: 'ab', mark: false },
      { text: 'cdef', mark: true },
      { text: 'gh', mark: true },
      { text: 'ij', mark: false },
    ]);
    expect(joined(segments)).toBe('abcdefghij');
  });

  it('when one range contains another, then the inner one adds nothing', () => {
    expect(highlightSegments('abcdefghij', [[1, 9], [3, 5]])).toEqual([
      { text: 'a', mark: false },
      { text: 'bcdefghi', mark: true },
      { text: 'j', mark: false },
    ]);
  });

  it('when ranges are adjacent, then they become two marked segments with nothing between', () => {
    expect(highlightSegments('abcdef', [[0, 2], [2, 4]])).toEqual([
      { text: 'ab', mark: true },
      { text: 'cd', mark: true },
      { text: 'ef', mark: false },
    ]);
  });

  it('when a range runs past the end or starts before 0, then it is clipped to the text', () => {
    expect(highlightSegments('abcdef', [[4, 100]])).toEqual([
      { text: 'abcd', mark: false },
      { text: 'ef', mark: true },
    ]);
    expect(highlightSegments('abcdef', [[-5, 2]])).toEqual([
      { text: 'ab', mark: true },
      { text: 'cdef', mark: false },
    ]);
  });

  it('when ranges are empty, reversed or wholly outside the text, then they are ignored', () => {
    expect(highlightSegments('abcdef', [[3, 3], [5, 2], [10, 20], [-4, -1], [6, 9]])).toEqual([{ text: 'abcdef', mark: false }]);
  });

  it('when the text is empty, then there is one empty unmarked segment whatever the ranges', () => {
    expect(highlightSegments('', [])).toEqual([{ text: '', mark: false }]);
    expect(highlightSegments('', [[0, 5], [2, 3]])).toEqual([{ text: '', mark: false }]);
  });

  it('when the text holds markup, then it is returned as plain text, unchanged', () => {
    expect(highlightSegments('<b>x</b> & y', [[3, 4]])).toEqual([
      { text: '<b>', mark: false },
      { text: 'x', mark: true },
      { text: '</b> & y', mark: false },
    ]);
  });

  it('when the text has characters outside the BMP, then ranges count UTF-16 units', () => {
    // '🍵' is two UTF-16 units.
    expect(highlightSegments('🍵 tea', [[3, 6]])).toEqual([
      { text: '🍵 ', mark: false },
      { text: 'tea', mark: true },
    ]);
  });

  it('when many random ranges are given, then the segments always concatenate to the input and marks never repeat text', () => {
    let seed = 12345;
    const random = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    const texts = ['', 'a', 'ab', 'The quick brown fox jumps over the lazy dog', 'café crème 🍵 naïve', 'x'.repeat(57)];
    let cases = 0;
    for (const text of texts) {
      for (let round = 0; round < 200; round++) {
        const ranges: [number, number][] = Array.from({ length: random(6) }, () => [random(text.length + 10) - 5, random(text.length + 10) - 5]);
        const segments = highlightSegments(text, ranges);
        expect(joined(segments)).toBe(text);
        expect(segments.length).toBeGreaterThanOrEqual(1);
        if (text.length > 0) for (const segment of segments) expect(segment.text).not.toBe('');
        for (let i = 1; i < segments.length; i++) {
          // Two unmarked segments never follow each other: they would have been one.
          expect(segments[i - 1]!.mark || segments[i]!.mark).toBe(true);
        }
        // Every marked character lies inside some (clipped) range.
        let at = 0;
        for (const segment of segments) {
          if (segment.mark) {
            for (let i = at; i < at + segment.text.length; i++) expect(ranges.some(([a, b]) => a <= i && i < b)).toBe(true);
          }
          at += segment.text.length;
        }
        cases++;
      }
    }
    expect(cases).toBe(texts.length * 200);
  });

  it('when a marked segment is asked for, then it is exactly the text of the ranges', () => {
    expect(marked(highlightSegments('Bluetooth speaker, blue', [[0, 4], [19, 23]]))).toEqual(['Blue', 'blue']);
  });
});
