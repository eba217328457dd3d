// npm run db:indexes -- --check
//     Compares declared and actual indexes. Exit 0 in sync, 1 drift (listed), 2 usage.
// npm run db:indexes -- --apply
//     Creates the missing declared indexes, one at a time with progress; never drops anything.
//     Exit 0 when every declared index is then present (undeclared ones are only listed), else 1.
// npm run db:indexes -- --drop-undeclared [--yes] [--even-if-foreign] [--apply]
//     Lists the indexes on the shop's collections that no schema declares. Without --yes it
//     drops nothing and exits 3. With --yes it drops them, but only on a database this project
//     created (npm start, npm run seed and the tests mark theirs in `_shop_meta`): on any other
//     it refuses with exit 4 unless --even-if-foreign. With --apply too, the declared indexes
//     are created afterwards (how an index whose definition changed is replaced).
//     Exit 0 when nothing undeclared (and, with --apply, nothing missing) remains, else 1.
// --apply on an empty database marks it as created by this project, as npm start and seed do.
// Database: MONGODB_URI / MONGODB_DB (default "shop"), resolved like every script.
// INDEX_PROGRESS_MS (default 5000): how often a running build prints "still building … (Ns)".
import {
  checkIndexes,
  claimDatabaseIfNew,
  connectMongo,
  declaredIndexes,
  DEFAULT_PROGRESS_EVERY_MS,
  dropIndexes,
  ensureIndexes,
  META_COLLECTION,
  readDatabaseMarker,
  shopModels,
  type IndexDrift,
} from '@shop/db';
import { cliArgs } from './lib/args.ts';
import { localMongo, SCRIPT_SOCKET_TIMEOUT_MS } from './lib/local-mongo.ts';

const usage = [
  'npm run db:indexes -- --check',
  '       npm run db:indexes -- --apply',
  '       npm run db:indexes -- --drop-undeclared [--yes] [--even-if-foreign] [--apply]',
].join('\n');
const args = cliArgs(
  {
    check: { type: 'boolean' },
    apply: { type: 'boolean' },
    'drop-undeclared': { type: 'boolean' },
    yes: { type: 'boolean' },
    'even-if-foreign': { type: 'boolean' },
  },
  usage,
);
const drop = Boolean(args['drop-undeclared']);
const apply = Boolean(args.apply);
function usageError(message: string): never {
  console.error(`${message}\n\nusage: ${usage}`);
  process.exit(2);
}
if (Boolean(args.check) === (apply || drop)) usageError('give --check, --apply or --drop-undeclared (only --apply may join --drop-undeclared)');
if ((args.yes || args['even-if-foreign']) && !drop) usageError('--yes and --even-if-foreign only go with --drop-undeclared');
const progressEveryMs = Number(process.env.INDEX_PROGRESS_MS ?? DEFAULT_PROGRESS_EVERY_MS);
if (!Number.isInteger(progressEveryMs) || progressEveryMs < 1) usageError(`INDEX_PROGRESS_MS must be a whole number of ms (got "${process.env.INDEX_PROGRESS_MS}")`);

const indent = (line: string): void => console.log(`  ${line}`);

function printDrift(drift: readonly IndexDrift[], what: { missing: boolean; extra: boolean }): void {
  for (const collection of drift) {
    if (what.missing) {
      for (const index of collection.toCreate) {
        console.log(`  MISSING  ${collection.collection}.${index.name} ${JSON.stringify(index.key)} — serves: ${index.serves}`);
      }
    }
    if (what.extra) {
      // toDrop also holds a declared name whose definition on the server differs from the declaration.
      const declared = new Set(collection.toCreate.map((index) => index.name));
      for (const name of collection.toDrop) {
        const why = declared.has(name) ? 'differs from its declaration: dropping it leaves the query without it until --apply rebuilds it' : 'not declared';
        console.log(`  EXTRA    ${collection.collection}.${name} (${why})`);
      }
    }
  }
}
const missingOf = (drift: readonly IndexDrift[]): number => drift.reduce((n, d) => n + d.toCreate.length, 0);
const extraOf = (drift: readonly IndexDrift[]): number => drift.reduce((n, d) => n + d.toDrop.length, 0);

const mongo = await localMongo({ detach: true });
const dbName = process.env.MONGODB_DB ?? 'shop';
// No socket timeout: an index build on a large collection takes as long as it takes (progress below).
const connection = await connectMongo({ uri: mongo.uri, dbName, socketTimeoutMS: SCRIPT_SOCKET_TIMEOUT_MS, appName: 'db-indexes' });
let exitCode = 0;
/** Set when --drop-undeclared stops before changing anything: 3 unconfirmed, 4 foreign database. */
let refused: 3 | 4 | undefined;
try {
  const models = Object.values(shopModels(connection));
  // --apply on an empty database is what creates it: marked as this project's, as start and seed do.
  const origin = apply ? await claimDatabaseIfNew(connection, 'npm run db:indexes -- --apply') : undefined;
  const marker = await readDatabaseMarker(connection);
  console.log(
    marker
      ? `database "${dbName}": created by this project (${marker.by}, ${new Date(marker.createdAt).toISOString()})` +
          (origin === 'created' ? ' — marked now: it was empty' : '')
      : `database "${dbName}": no ${META_COLLECTION} marker — not created by this project`,
  );

  if (drop) {
    const undeclared = (await checkIndexes(models)).filter((d) => d.toDrop.length > 0).map((d) => ({ ...d, toCreate: [] }));
    if (undeclared.length === 0) {
      console.log('no undeclared indexes: nothing to drop');
    } else {
      console.log(`undeclared indexes in "${dbName}":`);
      printDrift(undeclared, { missing: false, extra: true });
      if (!marker && !args['even-if-foreign']) {
        console.log(
          `refusing to drop: "${dbName}" was not created by this project, so these indexes may be someone else's. ` +
            'Nothing dropped. Pass --even-if-foreign if you are sure.',
        );
        refused = 4;
      } else if (!args.yes) {
        console.log(`dry run: nothing dropped. Re-run with --yes to drop ${extraOf(undeclared)} index(es).`);
        refused = 3;
      } else {
        await dropIndexes(models, undeclared, { log: indent });
      }
    }
  }
  if (refused === undefined && apply) {
    console.log(`creating missing declared indexes in "${dbName}" (nothing is dropped) …`);
    const { created, conflicts } = await ensureIndexes(models, { log: indent, progressEveryMs });
    console.log(`created ${created.length} index(es)${conflicts.length ? `, ${conflicts.length} blocked by an index with another definition` : ''}`);
  }

  if (refused === undefined) {
    const drift = await checkIndexes(models);
    const declared = Object.values(declaredIndexes).reduce((n, list) => n + list.length, 0);
    if (drift.length === 0) {
      console.log(`indexes in sync: ${declared} declared indexes present in "${dbName}"`);
    } else {
      const missing = missingOf(drift);
      const extra = extraOf(drift);
      console.log(`index drift in "${dbName}": ${missing} missing, ${extra} undeclared`);
      printDrift(drift, { missing: true, extra: true });
      if (missing > 0) console.log('create the missing ones: npm run db:indexes -- --apply');
      if (extra > 0) console.log('undeclared indexes are never dropped implicitly; see them go with: npm run db:indexes -- --drop-undeclared');
      // --check: any drift fails. A change fails only on what it was asked to fix.
      if (args.check || (apply && missing > 0) || (drop && extra > 0)) exitCode = 1;
    }
  }
} finally {
  await connection.close();
}
process.exit(refused ?? exitCode);
