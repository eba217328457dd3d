import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import {
  apiRoute,
  MULTI_LINE_TEXT,
  MULTI_LINE_TEXT_MESSAGE,
  notTextCharacters,
  notTextKind,
  ONE_LINE_TEXT,
  ONE_LINE_TEXT_MESSAGE,
  openApiDocument,
  text,
  type NotTextKind,
} from '../src/index.ts';

const LAST_CODE_POINT = 0x10ffff;

/** One of each class the rule refuses, by the kind notTextKind names. */
const REFUSED: [string, string, NotTextKind][] = [
  ['NUL', '\u0000', 'C0 control'],
  ['ESC', '\u001b', 'C0 control'],
  ['carriage return', '\r', 'C0 control'],
  ['DEL', '\u007f', 'DEL'],
  ['NEL (C1)', '\u0085', 'C1 control'],
  ['CSI (C1)', '\u009b', 'C1 control'],
  ['lone high surrogate', '\ud800', 'lone surrogate'],
  ['lone low surrogate', '\udfff', 'lone surrogate'],
  ['noncharacter U+FDD0', '\ufdd0', 'noncharacter'],
  ['noncharacter U+FDEF', '\ufdef', 'noncharacter'],
  ['noncharacter U+FFFE', '\ufffe', 'noncharacter'],
  ['noncharacter U+FFFF', '\uffff', 'noncharacter'],
  ['noncharacter U+1FFFE', '\ud83f\udffe', 'noncharacter'],
  ['noncharacter U+10FFFF', '\udbff\udfff', 'noncharacter'],
];

/** Text that is unusual but text: kept. */
const ACCEPTED = ['Caf\u00e9', '\ud83d\uded2 cart', '\u202eRTL override', 'zero\u200bwidth', '\ufeffBOM', '\ufffd', '\ufdcf\ufdf0', '\ud83f\udffd', '\u{10fffd}', '\u00a0nbsp'];

describe('the rule, character by character', () => {
  it.each(REFUSED)('when a value holds %s, then notTextKind names it and notTextCharacters finds it where it is', (_label, character, kind) => {
    expect(notTextKind(character.codePointAt(0)!)).toBe(kind);
    expect(notTextCharacters(`ok${character}ok`)).toEqual([{ codePoint: character.codePointAt(0), kind, index: 2 }]);
  });

  it('when tab and newline are met, then only multi-line text takes them', () => {
    for (const codePoint of [0x09, 0x0a]) {
      expect(notTextKind(codePoint)).toBe('C0 control');
      expect(notTextKind(codePoint, true)).toBeUndefined();
    }
    expect(notTextKind(0x0d, true)).toBe('C0 control');
    expect(notTextKind(0x0b, true)).toBe('C0 control');
  });

  it('when a value is unusual but text (emoji, bidi and zero-width marks, U+FFFD, the neighbours of noncharacters), then nothing is found', () => {
    for (const value of ACCEPTED) expect({ value, found: notTextCharacters(value) }).toEqual({ value, found: [] });
  });

  it('when the two halves of a pair come in the wrong order, then each is a lone surrogate', () => {
    expect(notTextCharacters('\udc00\ud800').map((c) => [c.kind, c.index])).toEqual([
      ['lone surrogate', 0],
      ['lone surrogate', 1],
    ]);
  });
});

describe('the rule as a pattern (what the OpenAPI documents state)', () => {
  /** The patterns as zod emits them, read the way JSON Schema validators do (u) and the way zod's fromJSONSchema does (no flag). */
  const readings = (pattern: RegExp): [string, RegExp][] => [
    ['as compiled', pattern],
    ['without the u flag', new RegExp(pattern.source)],
    ['with the v flag', new RegExp(pattern.source, 'v')],
  ];

  it.each([
    ['one-line', ONE_LINE_TEXT, false],
    ['multi-line', MULTI_LINE_TEXT, true],
  ] as const)('when every code point from U+0000 to U+10FFFF is tried in %s text, then the pattern accepts exactly those notTextKind accepts, read with or without the u flag', (_label, pattern, multiline) => {
    for (const [reading, re] of readings(pattern)) {
      const disagreements: string[] = [];
      for (let codePoint = 0; codePoint <= LAST_CODE_POINT; codePoint++) {
        const accepted = re.test(`a${String.fromCodePoint(codePoint)}b`);
        if (accepted !== (notTextKind(codePoint, multiline) === undefined)) disagreements.push(codePoint.toString(16));
      }
      expect({ reading, disagreements: disagreements.slice(0, 10) }).toEqual({ reading, disagreements: [] });
      for (const lone of ['a\ud800', '\udc00a', '\udc00\ud800', '\ud83d\uded2\ud800', '\ud800\ud800\udc00\udc00']) expect({ reading, lone, accepted: re.test(lone) }).toEqual({ reading, lone, accepted: false });
      expect(re.test('')).toBe(true);
    }
  });

  it('when a 500 KB value ending in a NUL is checked, then the answer takes milliseconds (no backtracking blow-up)', () => {
    const long = `${'caf\u00e9 \ud83d\uded2 '.repeat(60_000)}\u0000`;
    const started = performance.now();
    expect(ONE_LINE_TEXT.test(long)).toBe(false);
    expect(new RegExp(ONE_LINE_TEXT.source).test(long)).toBe(false);
    expect(performance.now() - started).toBeLessThan(200);
  });
});

describe('text(): the zod builder', () => {
  const name = text({ min: 1, max: 5, trim: true });
  const description = text({ max: 20, multiline: true });

  it.each(REFUSED)('when a one-line or multi-line value holds %s, then it is refused with the stable message', (_label, character) => {
    const oneLine = name.safeParse(`a${character}b`);
    expect(oneLine.success).toBe(false);
    expect(oneLine.error?.issues.map((i) => i.message)).toEqual([ONE_LINE_TEXT_MESSAGE]);
    const multiLine = description.safeParse(`a${character}b`);
    expect(multiLine.error?.issues.map((i) => i.message)).toEqual([MULTI_LINE_TEXT_MESSAGE]);
  });

  it('when tab or newline are inside, then one-line text refuses them and multi-line text keeps them', () => {
    for (const value of ['a\tb', 'a\nb']) {
      expect(name.safeParse(value).success).toBe(false);
      expect(description.parse(value)).toBe(value);
    }
  });

  it('when a value is decomposed ("e" + U+0301), then it is kept in NFC ("é")', () => {
    expect(name.parse('e\u0301')).toBe('\u00e9');
    expect(description.parse('Cre\u0300me\n\tbru\u0302le\u0301e')).toBe('Cr\u00e8me\n\tbr\u00fbl\u00e9e');
    // Compatibility forms are text of their own: NFC, not NFKC.
    expect(name.parse('\ufb01')).toBe('\ufb01');
  });

  it('when lengths are checked, then they count the kept form: trimmed, then NFC', () => {
    expect(name.parse('  e\u0301e\u0301e\u0301e\u0301e\u0301  ')).toBe('\u00e9'.repeat(5));
    expect(name.safeParse('\u00e9'.repeat(6)).success).toBe(false);
    expect(name.safeParse('   ').success).toBe(false);
    // U+0958 has no composed form in NFC: it becomes two code units, and the bound sees them.
    expect(text({ max: 1 }).safeParse('\u0958').success).toBe(false);
  });

  it('when a value has characters outside the BMP, then lengths count characters as the OpenAPI document does, not UTF-16 units', () => {
    const name = text({ min: 1, max: 200 });
    const document = z.toJSONSchema(name, { io: 'input' }) as { maxLength?: number; pattern?: string };
    const emoji = '😀'.repeat(150); // 150 characters, 300 UTF-16 units
    expect(document.maxLength).toBe(200);
    expect(new RegExp(document.pattern!, 'u').test(emoji) && [...emoji].length <= document.maxLength!).toBe(true);
    expect(name.safeParse(emoji).success).toBe(true);
    expect(name.safeParse('😀'.repeat(201)).success).toBe(false);
  });

  it('when surrounding whitespace holds a control character, then it is refused, not trimmed away', () => {
    expect(name.safeParse('abc\u000b').success).toBe(false);
    expect(name.safeParse('\nabc').success).toBe(false);
  });

  it('when a route takes text, then its OpenAPI document states the rule: pattern, lengths and a description, for body and query', () => {
    const document = openApiDocument({ title: 't', version: '1', description: 'd', prefix: '/api/t' }, [
      apiRoute({
        method: 'post',
        path: '/notes',
        operationId: 'createNote',
        summary: 's',
        tags: [],
        schemas: { query: z.strictObject({ q: text({ max: 200 }).optional() }), body: z.strictObject({ title: name, body: description.default('') }) },
        responses: { 201: 'Created' },
        handler: () => undefined,
      }),
    ]) as { paths: Record<string, Record<string, { parameters: { name: string; schema: Record<string, unknown> }[]; requestBody: { content: Record<string, { schema: { properties: Record<string, Record<string, unknown>> } }> } }>> };
    const operation = document.paths['/notes']!.post!;
    const properties = operation.requestBody.content['application/json']!.schema.properties;
    expect(properties.title).toMatchObject({ type: 'string', pattern: ONE_LINE_TEXT.source, minLength: 1, maxLength: 5, description: expect.stringMatching(/lone surrogates/) });
    expect(properties.body).toMatchObject({ type: 'string', pattern: MULTI_LINE_TEXT.source, maxLength: 20, description: expect.stringMatching(/tab and newline/) });
    expect(operation.parameters.find((p) => p.name === 'q')!.schema).toMatchObject({ pattern: ONE_LINE_TEXT.source, maxLength: 200 });
    // A client generating from the document (zod reads JSON Schema) refuses what the service refuses.
    const fromDocument = z.fromJSONSchema(properties.title as Parameters<typeof z.fromJSONSchema>[0]);
    for (const [, character] of REFUSED) expect({ character, ok: fromDocument.safeParse(`a${character}`).success }).toEqual({ character, ok: false });
    expect(fromDocument.safeParse('Caf\u00e9').success).toBe(true);
  });
});
