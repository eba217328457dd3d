import type { Logger } from 'pino';
import type { AuthUser } from './auth.ts';

declare global {
  namespace Express {
    interface Request {
      id: string;
      log: Logger;
      user?: AuthUser;
    }
  }
}

export {};
