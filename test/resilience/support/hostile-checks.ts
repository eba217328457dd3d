// What every fuzzed answer must be, and how the fuzz reports what it saw: below 500, a JSON error
// body (the document's components.schemas.Error) when 4xx, nothing internal leaked, a 4xx for
// input invalid by construction, and not stopped at the auth check.
import { createHash } from 'node:crypto';
import type { HeadProbe, HeadReply } from './head-probe.ts';
import type { Case } from './hostile-cases.ts';
import { serviceOf } from './hostile-operations.ts';
import type { Reply } from './raw-http.ts';

export interface Outcome {
  c: Case;
  reply: Reply;
}

const shortPath = (path: string): string => (path.length > 100 ? `${path.slice(0, 100)}…` : path);

const LEAKS: [string, RegExp][] = [
  ['stack frame', /\n\s+at /],
  ['stack frame (JSON-escaped)', /\\n\s+at /],
  ['stack frame', /\bat (?:async )?[\w.$<>]+ \((?:file:\/\/|\/)/],
  ['source position', /\.[cm]?[jt]s:\d+/],
  ['node_modules', /node_modules/],
  ['/work/', /\/work\//],
  ['repository root', new RegExp(process.cwd().replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))],
  ['/tmp/', /\/tmp\//],
  ['MongoDB error', /Mongo(?:Server)?Error|E11000|Cast to ObjectId/],
  ['error with stack', /\b\w*Error: [^\n]*(?:\n|\\n)\s*at /],
  ['SyntaxError', /SyntaxError/],
  ['"stack" field', /"stack"\s*:/],
];

export function check({ c, reply }: Outcome): string[] {
  const out: string[] = [];
  const tag = `${c.op.id} [${c.label}] ${c.method} ${shortPath(c.path)}`;
  if (reply.status <= 0) return [`${tag}: no answer (${reply.error})`];
  if (reply.status >= 500) out.push(`${tag}: ${reply.status} ${reply.body.slice(0, 200)}`);
  if (reply.status >= 400) {
    const type = String(reply.headers['content-type'] ?? '');
    let parsed: unknown;
    try {
      parsed = JSON.parse(reply.body);
    } catch {
      parsed = undefined;
    }
    const code = (parsed as { error?: { code?: unknown } } | undefined)?.error?.code;
    if (!type.startsWith('application/json') || !c.op.errorSchema.safeParse(parsed).success || typeof code !== 'string' || code === '') {
      out.push(`${tag}: ${reply.status} is not a JSON error body (${type}): ${reply.body.slice(0, 160)}`);
    }
  }
  for (const [name, pattern] of LEAKS) if (pattern.test(reply.body)) out.push(`${tag}: body leaks ${name}: ${reply.body.slice(0, 300)}`);
  if (reply.status === 401 || reply.status === 403) out.push(`${tag}: stopped at auth (${reply.status}), not at validation`);
  if (c.expect === 'invalid' && (reply.status < 400 || reply.status >= 500)) out.push(`${tag}: invalid input answered ${reply.status} ${reply.body.slice(0, 160)}`);
  if (c.status !== undefined && reply.status !== c.status) out.push(`${tag}: expected ${c.status}, got ${reply.status}`);
  return out;
}

/** Failures by operation: how many, and the first few of each (a broken guard fails hundreds). */
export function digest(failures: readonly string[], perOperation = 4): string[] {
  const byOp = new Map<string, string[]>();
  for (const f of failures) {
    const id = f.slice(0, f.indexOf(' '));
    byOp.set(id, [...(byOp.get(id) ?? []), f]);
  }
  return [...byOp].flatMap(([id, list]) => [`${id}: ${list.length} failures`, ...list.slice(0, perOperation).map((f) => `  ${f}`)]);
}

/** How often each value occurs, by value. */
export function counts(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const value of values) out[value] = (out[value] ?? 0) + 1;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

export const tally = (outcomes: readonly Outcome[], key: (o: Outcome) => string): Record<string, number> => counts(outcomes.map(key));

export const codeOf = (o: Outcome): string => {
  try {
    return (JSON.parse(o.reply.body) as { error?: { code?: string } }).error?.code ?? String(o.reply.status);
  } catch {
    return String(o.reply.status);
  }
};

export function report(title: string, outcomes: readonly Outcome[]): void {
  const lines = [`${title}: ${outcomes.length} cases`];
  for (const service of [...new Set(outcomes.map((o) => serviceOf(o.c.op)))]) {
    const of = outcomes.filter((o) => serviceOf(o.c.op) === service);
    lines.push(
      `  ${service}: ${of.length} cases over ${new Set(of.map((o) => o.c.op.id)).size} operations, by group ${JSON.stringify(tally(of, (o) => o.c.group))}`,
      `    statuses ${JSON.stringify(tally(of, (o) => String(o.reply.status)))}`,
      `    error codes ${JSON.stringify(tally(of.filter((o) => o.reply.status >= 400), codeOf))}`,
    );
  }
  const byTime = [...outcomes].sort((a, b) => a.reply.ms - b.reply.ms);
  const ms = (q: number): string => (byTime[Math.min(byTime.length - 1, Math.floor(q * byTime.length))]?.reply.ms ?? Number.NaN).toFixed(1);
  lines.push(
    `  latency p50 ${ms(0.5)} ms, p99 ${ms(0.99)} ms; slowest: ${byTime
      .slice(-3)
      .reverse()
      .map((o) => `${o.c.op.id} [${o.c.label}] ${o.reply.status} in ${o.reply.ms.toFixed(0)} ms`)
      .join('; ')}`,
  );
  const fromNginx = outcomes.filter((o) => o.reply.status >= 400 && !o.reply.body.includes('"requestId"'));
  if (fromNginx.length) lines.push(`  answered by nginx itself (no requestId): ${fromNginx.length} ${JSON.stringify(tally(fromNginx, (o) => `${o.reply.status} ${codeOf(o)}`))}`);
  console.log(lines.join('\n'));
}

/** The body with an error's request id taken out (every answer has its own). */
function comparable(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { requestId?: unknown } } | null;
    if (parsed?.error) delete parsed.error.requestId;
    return JSON.stringify(parsed);
  } catch {
    return body;
  }
}

/** Same status and the same body, request ids aside. */
const sameAnswer = (a: Reply, b: Reply): boolean => a.status === b.status && comparable(a.body) === comparable(b.body);

/** The cache's strong ETag for an identity body (http-entry.ts: sha1, base64url, quoted). */
const etagOf = (body: string): string => `"${createHash('sha1').update(body, 'utf8').digest('base64url')}"`;

/**
 * True when the GET after a HEAD got the very entity the HEAD announced, whole: its ETag is the
 * HEAD's and is the hash of the body it came with. (A suggestion's popular searches move while
 * the fuzzer runs, so a cached answer may match neither reference GET and still be right.)
 */
const announcedByHead = (head: HeadReply, after: Reply): boolean =>
  typeof head.headers.etag === 'string' && after.headers.etag === head.headers.etag && etagOf(after.body) === head.headers.etag;

/**
 * What a HEAD must do: answer below 500, with the status the GET of its URL gets, and no body;
 * and leave behind nothing a GET could be given instead of its own answer: the plain GET after it
 * has a body, and on a cached operation the body a GET that bypasses the cache gets. (Uncached
 * operations render per request, the performance summary moves with every one: status only.)
 */
export function headFailures({ c, reference, head, after, laterReference }: HeadProbe): string[] {
  const tag = `${c.op.id} [${c.label}] HEAD ${shortPath(c.path)}`;
  if (head.status <= 0) return [`${tag}: no answer (${head.error})`];
  const out: string[] = [];
  if (head.status >= 500) out.push(`${tag}: answered ${head.status}`);
  if (head.status !== reference.status) out.push(`${tag}: answered ${head.status}, a GET of the same URL ${reference.status}`);
  if (head.bodyBytes > 0) out.push(`${tag}: ${head.bodyBytes} body bytes after the headers`);
  if (after.body === '') out.push(`${tag}: the plain GET after it got an empty body (${after.status}, X-Cache ${after.headers['x-cache']})`);
  else if (c.op.cached ? !sameAnswer(after, reference) && !sameAnswer(after, laterReference) && !announcedByHead(head, after) : after.status !== reference.status) {
    out.push(`${tag}: the plain GET after it got ${after.status} (X-Cache ${after.headers['x-cache']}) ${after.body.slice(0, 100)}, a fresh GET ${reference.status} ${reference.body.slice(0, 100)}`);
  }
  out.push(...check({ c, reply: after }));
  return out;
}
