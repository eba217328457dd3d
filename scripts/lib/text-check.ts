// Finds stored strings that break the services' text rule (service-kit text.ts): characters the API
// now refuses (control characters, lone surrogates, noncharacters) and text not in NFC. Reads only.
import { codePointName, isNfc, notTextCharacters, notTextKind } from '@shop/service-kit';
import type { Connection } from 'mongoose';

/** Where a stored text may have lines (tab and newline): `collection` → dotted field paths. */
const MULTI_LINE_FIELDS: Record<string, readonly string[]> = { products: ['description'] };

export interface BadText {
  collection: string;
  /** The document's `_id`, as text. */
  id: string;
  /** Dotted path of the string, array positions included (`lines.0.name`). */
  field: string;
  /** What is wrong: each refused character (`U+001B C0 control at 3`), and `not NFC`. */
  problems: string[];
  /** The value with every control or non-text character shown as `[U+XXXX]`: safe to print. */
  preview: string;
}

const PREVIEW_LENGTH = 60;

/** `value` with nothing a terminal would act on: every character the one-line rule refuses becomes `[U+XXXX]`. */
export function printable(value: string): string {
  let out = '';
  for (const character of value) {
    const codePoint = character.codePointAt(0) ?? 0;
    out += notTextKind(codePoint) ? `[${codePointName(codePoint)}]` : character;
  }
  return out;
}

function preview(value: string): string {
  const shown = [...value].slice(0, PREVIEW_LENGTH).join('');
  return `${printable(shown)}${shown.length < value.length ? '…' : ''}`;
}

/** Every string inside `value` (object values and array items, at any depth) with its dotted path. */
function* stringsIn(value: unknown, path: string): Generator<[string, string]> {
  if (typeof value === 'string') {
    yield [path, value];
    return;
  }
  if (value === null || typeof value !== 'object') return;
  // ObjectId, Date, Binary and the like hold no text a client wrote.
  if (!Array.isArray(value) && Object.getPrototypeOf(value) !== Object.prototype) return;
  for (const [key, item] of Object.entries(value)) yield* stringsIn(item, path ? `${path}.${key}` : key);
}

/** Fields kept exactly as sent (the API does not normalize URLs): never reported as "not NFC". */
const AS_SENT = /(?:^|\.)url$/;

/** What is wrong with one stored string; empty when nothing is. */
export function textProblems(value: string, multiline: boolean, keptAsSent = false): string[] {
  const problems = notTextCharacters(value, multiline).map((c) => `${codePointName(c.codePoint)} ${c.kind} at ${c.index}`);
  if (!keptAsSent && !isNfc(value)) problems.push('not NFC');
  return problems;
}

/** Checks every string field of every document in `collection`, reading in `_id` order. */
export async function* badTextIn(connection: Connection, collection: string, counted: { documents: number }): AsyncGenerator<BadText> {
  const multiLine = new Set(MULTI_LINE_FIELDS[collection] ?? []);
  const db = connection.db;
  if (!db) throw new Error('not connected');
  const cursor = db.collection(collection).find({}).sort({ _id: 1 });
  for await (const document of cursor) {
    counted.documents++;
    const { _id: id, ...fields } = document;
    for (const [field, value] of stringsIn(fields, '')) {
      const problems = textProblems(value, multiLine.has(field), AS_SENT.test(field));
      if (problems.length > 0) yield { collection, id: printable(String(id)), field: printable(field), problems, preview: preview(value) };
    }
  }
}
