/** Base class: every cache error has a stable `code`. */
export class CacheError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CacheError';
    this.code = code;
  }
}

/** The loader failed and no stale value was allowed to stand in. `cause` is the loader's error. */
export class LoaderError extends CacheError {
  constructor(key: string, cause: unknown) {
    super('CACHE_LOADER_FAILED', `loader for "${key}" failed`, { cause });
    this.name = 'LoaderError';
  }
}

/** A key or tag that is empty, too long or contains characters the key space reserves. */
export class InvalidKeyError extends CacheError {
  constructor(what: string, value: string) {
    super('CACHE_INVALID_KEY', `invalid cache ${what}: ${JSON.stringify(value.slice(0, 80))}`);
    this.name = 'InvalidKeyError';
  }
}

/**
 * True for Redis' refusal of a write at `maxmemory` under `noeviction` ("OOM command not allowed
 * when used memory > 'maxmemory'"), also when it comes from inside a script (Redis 6 wraps it
 * in "ERR Error running script …: -OOM …"). Redis is up and answering: this is not an outage.
 */
export function isRedisOutOfMemory(error: unknown): boolean {
  return error instanceof Error && /(?:^|[\s-])OOM command not allowed/.test(error.message);
}
