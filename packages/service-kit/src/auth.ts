import type { RequestHandler } from 'express';
import { SignJWT, jwtVerify } from 'jose';
import { AppError } from './app-error.ts';

export const ROLES = ['customer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface AuthUser {
  id: string;
  role: Role;
}

const ISSUER = 'perf-shop';

export interface Auth {
  /** 401 without a valid bearer token; 403 when the token's role is not in `roles` (any role when empty). */
  requireAuth(...roles: Role[]): RequestHandler;
  /** Signs an HS256 token for `user`, valid for `ttl` (jose duration, default 12h). */
  sign(user: AuthUser, ttl?: string): Promise<string>;
  verify(token: string): Promise<AuthUser>;
}

export function createAuth(secret: string): Auth {
  const key = new TextEncoder().encode(secret);

  async function verify(token: string): Promise<AuthUser> {
    const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], issuer: ISSUER, requiredClaims: ['exp', 'sub'] });
    const role = payload.role;
    if (typeof payload.sub !== 'string' || !ROLES.includes(role as Role)) throw new Error('bad claims');
    return { id: payload.sub, role: role as Role };
  }

  return {
    verify,
    async sign(user, ttl = '12h') {
      return new SignJWT({ role: user.role })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(user.id)
        .setIssuer(ISSUER)
        .setIssuedAt()
        .setExpirationTime(ttl)
        .sign(key);
    },
    requireAuth(...roles) {
      return async (req, res, next) => {
        const header = req.get('authorization') ?? '';
        const token = /^Bearer ([A-Za-z0-9._-]{10,4096})$/.exec(header)?.[1];
        if (!token) {
          res.setHeader('WWW-Authenticate', 'Bearer');
          throw new AppError('UNAUTHENTICATED', 'A bearer token is required', 401);
        }
        try {
          req.user = await verify(token);
        } catch {
          res.setHeader('WWW-Authenticate', 'Bearer error="invalid_token"');
          throw new AppError('UNAUTHENTICATED', 'The bearer token is invalid or expired', 401);
        }
        if (roles.length > 0 && !roles.includes(req.user.role)) {
          throw new AppError('FORBIDDEN', `This action needs the ${roles.join(' or ')} role`, 403);
        }
        next();
      };
    },
  };
}

/** The signed-in user of a request that passed requireAuth; 401 if it somehow did not. */
export function currentUser(req: { user?: AuthUser | undefined }): AuthUser {
  if (!req.user) throw new AppError('UNAUTHENTICATED', 'A bearer token is required', 401);
  return req.user;
}
