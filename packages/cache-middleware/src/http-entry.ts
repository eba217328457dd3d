import { createHash } from 'node:crypto';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

/** A cached HTTP response: the body once as is and once per encoding, compressed at store time. */
export interface HttpEntry {
  status: number;
  contentType: string;
  etag: string;
  body: Buffer;
  br?: Buffer;
  gzip?: Buffer;
  /** Total bytes held, for the L1 size bound. */
  bytes: number;
}

/** Bodies below this are not worth compressing (same threshold as the service kit). */
export const COMPRESS_THRESHOLD = 1024;

/** `compress: false` for a response that is only passed through (it is never stored or served again). */
export function buildHttpEntry(status: number, contentType: string, body: Buffer, compress = true): HttpEntry {
  const etag = `"${createHash('sha1').update(body).digest('base64url')}"`;
  if (!compress || body.length < COMPRESS_THRESHOLD) return { status, contentType, etag, body, bytes: body.length };
  const br = brotliCompressSync(body, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: body.length },
  });
  const gzip = gzipSync(body, { level: 6 });
  return { status, contentType, etag, body, br, gzip, bytes: body.length + br.length + gzip.length };
}

/** True when `If-None-Match` names this entity (weak comparison, as RFC 9110 asks for 304s). */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
