// npm run token -- --sub <id> --role customer|admin [--ttl 12h]
// Prints a signed token for the Authorization: Bearer header: with JWT_SECRET, else the secret of the
// stack `npm start` runs (.run/jwt-secret), else the dev secret.
import { createAuth, DEV_JWT_SECRET, ROLES, type Role } from '@shop/service-kit';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { cliArgs } from './lib/args.ts';
import { runDir } from './lib/paths.ts';

const usage = 'npm run token -- --sub <id> --role customer|admin [--ttl 12h]';
const args = cliArgs({ sub: { type: 'string' }, role: { type: 'string' }, ttl: { type: 'string' } }, usage);

if (!args.sub || !/^[A-Za-z0-9._:@-]{1,128}$/.test(args.sub)) {
  console.error(`--sub is required (1-128 letters, digits, . _ : @ -)\n\nusage: ${usage}`);
  process.exit(2);
}
if (!ROLES.includes(args.role as Role)) {
  console.error(`--role must be one of ${ROLES.join(', ')}\n\nusage: ${usage}`);
  process.exit(2);
}
if (!process.env.JWT_SECRET && process.env.NODE_ENV === 'production') {
  console.error('JWT_SECRET is required when NODE_ENV=production');
  process.exit(2);
}
// `npm start` signs with the secret it made for this checkout; the services started by tests or by
// hand without JWT_SECRET use the dev secret.
const stackSecret = path.join(runDir, 'jwt-secret');
const secret = process.env.JWT_SECRET ?? (existsSync(stackSecret) ? readFileSync(stackSecret, 'utf8').trim() : DEV_JWT_SECRET);
const auth = createAuth(secret);
console.log(await auth.sign({ id: args.sub, role: args.role as Role }, args.ttl ?? '12h'));
