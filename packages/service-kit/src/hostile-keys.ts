import type { RequestHandler } from 'express';
import { AppError } from './app-error.ts';

const FORBIDDEN_NAMES = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_DEPTH = 32;

/** Returns the first key path that could reach MongoDB as an operator or pollute a prototype. */
export function findHostileKey(value: unknown, path = '', depth = 0): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  if (depth > MAX_DEPTH) return path || '(root)';
  for (const key of Object.keys(value)) {
    const here = path ? `${path}.${key}` : key;
    if (key.startsWith('$') || key.includes('[') || FORBIDDEN_NAMES.has(key) || key.includes('\u0000')) return here;
    const found = findHostileKey((value as Record<string, unknown>)[key], here, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * Rejects bodies and query strings that carry `$operators`, bracket keys (`price[$gt]`) or
 * prototype keys before any handler sees them. Defence in depth: the strict schemas reject them too.
 */
export function rejectHostileKeys(): RequestHandler {
  return (req, _res, next) => {
    const key = findHostileKey(req.query) ?? findHostileKey(req.body);
    if (key) {
      throw new AppError('FORBIDDEN_KEY', `Key "${key}" is not allowed`, 400, { details: [{ field: key }] });
    }
    next();
  };
}
