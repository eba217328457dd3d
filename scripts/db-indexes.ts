// npm run db:indexes -- --check   exit 1 and list the drift when declared and actual indexes differ
// npm run db:indexes -- --apply   create missing indexes, drop undeclared ones, then check again
import { applyIndexes, checkIndexes, connectMongo, declaredIndexes, shopModels, type IndexDrift } from '@shop/db';
import { cliArgs } from './lib/args.ts';
import { localMongo } from './lib/local-mongo.ts';

const usage = 'npm run db:indexes -- --check | --apply';
const args = cliArgs({ check: { type: 'boolean' }, apply: { type: 'boolean' } }, usage);
if (Boolean(args.check) === Boolean(args.apply)) {
  console.error(`give exactly one of --check or --apply\n\nusage: ${usage}`);
  process.exit(2);
}

function printDrift(drift: IndexDrift[]): void {
  for (const collection of drift) {
    for (const index of collection.toCreate) {
      console.log(`  MISSING  ${collection.collection}.${index.name} ${JSON.stringify(index.key)} — serves: ${index.serves}`);
    }
    for (const name of collection.toDrop) console.log(`  EXTRA    ${collection.collection}.${name} (not declared)`);
  }
}

const mongo = await localMongo({ detach: true });
const dbName = process.env.MONGODB_DB ?? 'shop';
const connection = await connectMongo({ uri: mongo.uri, dbName });
let exitCode = 0;
try {
  const models = Object.values(shopModels(connection));
  if (args.apply) {
    await applyIndexes(models);
    console.log(`applied declared indexes to database "${dbName}"`);
  }
  const drift = await checkIndexes(models);
  const declared = Object.values(declaredIndexes).reduce((n, list) => n + list.length, 0);
  if (drift.length === 0) {
    console.log(`indexes in sync: ${declared} declared indexes present in "${dbName}"`);
  } else {
    console.log(`index drift in "${dbName}":`);
    printDrift(drift);
    console.log('run `npm run db:indexes -- --apply` to fix');
    exitCode = 1;
  }
} finally {
  await connection.close();
}
process.exit(exitCode);
