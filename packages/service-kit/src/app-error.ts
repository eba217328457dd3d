/**
 * The one error type the services throw on purpose. `code` is stable (clients branch on it),
 * `httpStatus` is what the central handler answers, and `catastrophic` marks errors after
 * which the process must not keep serving (the handler then starts a graceful shutdown).
 */
export class AppError extends Error {
  readonly code: string;
  readonly httpStatus: number;
  readonly details: unknown;
  readonly catastrophic: boolean;
  readonly headers: Record<string, string>;

  constructor(
    code: string,
    message: string,
    httpStatus: number,
    options: { details?: unknown; catastrophic?: boolean; cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.httpStatus = httpStatus;
    this.details = options.details;
    this.catastrophic = options.catastrophic ?? false;
    this.headers = options.headers ?? {};
  }
}

export const notFound = (what: string): AppError => new AppError('NOT_FOUND', `${what} not found`, 404);

export const conflict = (message: string, details?: unknown): AppError =>
  new AppError('CONFLICT', message, 409, { details });
