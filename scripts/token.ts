// npm run token -- --sub <id> --role customer|admin [--ttl 12h]
// Prints a signed dev token for the Authorization: Bearer header.
import { createAuth, DEV_JWT_SECRET, ROLES, type Role } from '@shop/service-kit';
import { cliArgs } from './lib/args.ts';

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
const auth = createAuth(process.env.JWT_SECRET ?? DEV_JWT_SECRET);
console.log(await auth.sign({ id: args.sub, role: args.role as Role }, args.ttl ?? '12h'));
