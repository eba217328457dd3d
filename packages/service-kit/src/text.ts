import { z } from 'zod';

/**
 * Text is text (issue 21): the one rule for every free-text field the services accept. Refused
 * anywhere in a value:
 * - C0 controls U+0000–U+001F (NUL and ESC among them); a multi-line text may hold tab U+0009
 *   and newline U+000A, nothing else (no carriage return: lines end with "\n");
 * - DEL U+007F and the C1 controls U+0080–U+009F (U+009B is a one-character CSI to a terminal);
 * - lone surrogates U+D800–U+DFFF (UTF-16 halves without their partner: not a character at all);
 * - noncharacters U+FDD0–U+FDEF and the last two code points of every plane (U+FFFE, U+FFFF,
 *   U+1FFFE, U+1FFFF, … U+10FFFF).
 * Everything else is text, format characters included (bidi marks, zero-width joiners, emoji).
 * What is kept is in Unicode NFC, so "e" + U+0301 and "é" are one value.
 */

export type NotTextKind = 'C0 control' | 'DEL' | 'C1 control' | 'lone surrogate' | 'noncharacter';

const TAB = 0x09;
const LINE_FEED = 0x0a;
const LAST_C0 = 0x1f;
const DEL = 0x7f;
const LAST_C1 = 0x9f;
const SURROGATES = [0xd800, 0xdfff] as const;
const ARABIC_NONCHARACTERS = [0xfdd0, 0xfdef] as const;
const PLANES = 17;

/** Why `codePoint` may not appear in a text field; undefined when it may. */
export function notTextKind(codePoint: number, multiline = false): NotTextKind | undefined {
  if (codePoint <= LAST_C0) return multiline && (codePoint === TAB || codePoint === LINE_FEED) ? undefined : 'C0 control';
  if (codePoint === DEL) return 'DEL';
  if (codePoint <= LAST_C1 && codePoint > DEL) return 'C1 control';
  if (codePoint >= SURROGATES[0] && codePoint <= SURROGATES[1]) return 'lone surrogate';
  // U+xFFFE and U+xFFFF of every plane: the low 16 bits are FFFE or FFFF.
  if ((codePoint >= ARABIC_NONCHARACTERS[0] && codePoint <= ARABIC_NONCHARACTERS[1]) || (codePoint & 0xfffe) === 0xfffe) return 'noncharacter';
  return undefined;
}

export interface NotTextCharacter {
  codePoint: number;
  kind: NotTextKind;
  /** Position in the string, in UTF-16 code units. */
  index: number;
}

/** Every character of `value` the rule refuses, in order (a lone surrogate counts as one). */
export function notTextCharacters(value: string, multiline = false): NotTextCharacter[] {
  const found: NotTextCharacter[] = [];
  let index = 0;
  for (const character of value) {
    const codePoint = character.codePointAt(0) ?? 0;
    const kind = notTextKind(codePoint, multiline);
    if (kind) found.push({ codePoint, kind, index });
    index += character.length;
  }
  return found;
}

/** `U+001B`, `U+10FFFF`: how a code point is named in messages and reports. */
export const codePointName = (codePoint: number): string => `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;

/** Whether `value` is stored as the rule keeps text: in Unicode NFC. */
export const isNfc = (value: string): boolean => value === value.normalize('NFC');

// --- The same rule as a regular expression, for zod and for the OpenAPI documents (JSON Schema
// `pattern`). Written with \u escapes only, so that it means the same to engines that read it with
// the `u` flag (JSON Schema validators) and without (`new RegExp(pattern)`, as zod's
// fromJSONSchema and many fuzzers do): one allowed character is either a code point outside the
// refused ones, or a valid surrogate pair that is not a noncharacter. In `u` mode a pair is one
// code point, refused inside the class when it is a noncharacter (the class lists those as pairs,
// which `u` mode reads as one code point each); without `u` the class refuses every surrogate
// half and the two pair alternatives take the valid pairs. The tests check it against
// notTextKind over every code point, in both modes.

const u = (unit: number): string => `\\u${unit.toString(16).toUpperCase().padStart(4, '0')}`;
const pairOf = (codePoint: number): [number, number] => [0xd800 + ((codePoint - 0x10000) >> 10), 0xdc00 + ((codePoint - 0x10000) & 0x3ff)];

/**
 * Regex source for one allowed character, which is also none of `alsoRefused` (class syntax for
 * BMP characters, e.g. "\\s/"): a group, to be quantified by the caller.
 */
export function textCharacterSource(options: { multiline?: boolean; alsoRefused?: string } = {}): string {
  const { multiline = false, alsoRefused = '' } = options;
  const controls = multiline ? `${u(0)}-${u(TAB - 1)}${u(LINE_FEED + 1)}-${u(LAST_C0)}` : `${u(0)}-${u(LAST_C0)}`;
  const astralNoncharacters: string[] = [];
  // The high surrogates of those planes' last 1 024 code points, which include the noncharacters.
  const noncharacterHighs: number[] = [];
  for (let plane = 1; plane < PLANES; plane++) {
    for (const low16 of [0xfffe, 0xffff]) astralNoncharacters.push(pairOf(plane * 0x10000 + low16).map(u).join(''));
    noncharacterHighs.push(pairOf(plane * 0x10000 + 0xfffe)[0]);
  }
  const refused =
    `${controls}${u(DEL)}-${u(LAST_C1)}${u(SURROGATES[0])}-${u(SURROGATES[1])}` +
    `${u(ARABIC_NONCHARACTERS[0])}-${u(ARABIC_NONCHARACTERS[1])}${u(0xfffe)}${u(0xffff)}${astralNoncharacters.join('')}`;
  // A pair whose low half is not DFFE/DFFF is never a noncharacter; one whose low half is, only
  // when its high half is one of noncharacterHighs.
  const anyPair = `[${u(0xd800)}-${u(0xdbff)}][${u(0xdc00)}-${u(0xdffd)}]`;
  const otherHighs = noncharacterHighs.map((high) => `${u(high - 0x3f)}-${u(high - 1)}`).join('');
  const pairEndingFffeOrFfff = `[${otherHighs}][${u(0xdffe)}${u(0xdfff)}]`;
  return `(?:[^${refused}${alsoRefused}]|${anyPair}|${pairEndingFffeOrFfff})`;
}

/** A whole value of one-line text: no tab, no newline. */
export const ONE_LINE_TEXT = new RegExp(`^${textCharacterSource()}*$`, 'u');
/** A whole value of multi-line text: tab and newline allowed. */
export const MULTI_LINE_TEXT = new RegExp(`^${textCharacterSource({ multiline: true })}*$`, 'u');

export const ONE_LINE_TEXT_MESSAGE = 'must be one line of text: no control characters (tab and newline included), lone surrogates or noncharacters';
export const MULTI_LINE_TEXT_MESSAGE = 'must be text: no control characters other than tab and newline, no lone surrogates or noncharacters';

// --- The zod builder every service schema uses for free text

export interface TextOptions {
  /** Bounds, in characters (code points, as JSON Schema counts them) of the value as kept (trimmed when `trim`, then NFC). */
  min?: number;
  max: number;
  /** Allows tab and newline (descriptions); one line otherwise. */
  multiline?: boolean;
  /** Removes surrounding whitespace before the length check (names, brands). */
  trim?: boolean;
}

function descriptionOf({ min = 0, max, multiline = false, trim = false }: TextOptions): string {
  const lines = multiline ? 'Text; tab and newline are the only control characters allowed' : 'One line of text: no control characters, tab and newline included';
  return (
    `${lines}. Never: C0/C1 controls (U+0000–U+001F, U+007F–U+009F), lone surrogates (U+D800–U+DFFF), ` +
    `noncharacters (U+FDD0–U+FDEF, U+xFFFE, U+xFFFF). Kept ${trim ? 'trimmed and ' : ''}in Unicode NFC; ` +
    `${min > 0 ? `${min}–${max}` : `at most ${max}`} characters (code points) as kept.`
  );
}

/**
 * A free-text string: refused (400 VALIDATION_FAILED, a stable message) when it holds anything
 * the rule above refuses; otherwise trimmed when asked, normalized to NFC, and its length checked
 * on that form, the one stored. The OpenAPI document states the rule as the string's `pattern`
 * (the lengths as minLength/maxLength) and in words in its description.
 */
export function text(options: TextOptions): z.ZodString {
  const { min = 0, max, multiline = false, trim = false } = options;
  let schema = z.string().regex(multiline ? MULTI_LINE_TEXT : ONE_LINE_TEXT, multiline ? MULTI_LINE_TEXT_MESSAGE : ONE_LINE_TEXT_MESSAGE);
  if (trim) schema = schema.trim();
  schema = schema.overwrite((value) => value.normalize('NFC'));
  // Counted in code points, as JSON Schema's minLength/maxLength count: an emoji is one character
  // to the document and to this check alike (zod's .min/.max would count UTF-16 units).
  schema = schema.superRefine((value, ctx) => {
    const length = [...value].length;
    if (length > max) ctx.addIssue({ code: 'too_big', origin: 'string', maximum: max, inclusive: true, input: value, message: `must be at most ${max} characters` });
    else if (length < min) ctx.addIssue({ code: 'too_small', origin: 'string', minimum: min, inclusive: true, input: value, message: `must be at least ${min} characters` });
  });
  return schema.meta({ description: descriptionOf(options), ...(min > 0 ? { minLength: min } : {}), maxLength: max });
}
