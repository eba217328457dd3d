import type { Request, RequestHandler, Response } from 'express';

/**
 * The headers a request-independent middleware (helmet) sets, captured once by running it on an
 * empty request: a flat `[name, value, …]` list the fast lane sends as is. Throws when the
 * middleware does not finish synchronously, or reads more of the response than headers.
 */
export function headersSetBy(middleware: RequestHandler): string[] {
  const headers = new Map<string, string>();
  const res = {
    setHeader(name: string, value: unknown) {
      headers.set(name, String(value));
      return res;
    },
    removeHeader(name: string) {
      headers.delete(name);
    },
    getHeader(name: string) {
      return headers.get(name);
    },
  };
  let finished = false;
  const req = { method: 'GET', url: '/', headers: {} };
  void middleware(req as Request, res as unknown as Response, (error?: unknown) => {
    if (error) throw error;
    finished = true;
  });
  if (!finished) throw new Error('the security headers middleware did not call next() synchronously');
  return [...headers].flat();
}
