// npm run db:check-text   list every stored string the services' text rule refuses (control
// characters, lone surrogates, noncharacters) or that is not in NFC: collection, _id, field and the
// code points. Exit 1 when there is any, 0 when there is none, 2 when the check could not run.
// Reads only: nothing is changed or deleted.
import { connectMongo, shopModels } from '@shop/db';
import { cliArgs } from './lib/args.ts';
import { localMongo } from './lib/local-mongo.ts';
import { badTextIn } from './lib/text-check.ts';

cliArgs({}, 'npm run db:check-text');

/** Collections whose text the admin API writes, and so can correct: only these fail the check. */
const CORRECTABLE = new Set(['products', 'categories']);

/** Prints what is bad, collection by collection; resolves to how many bad values there are. */
async function check(): Promise<number> {
  const mongo = await localMongo({ detach: true });
  const dbName = process.env.MONGODB_DB ?? 'shop';
  const connection = await connectMongo({ uri: mongo.uri, dbName });
  let bad = 0;
  const badDocuments = new Set<string>();
  try {
    const collections = [...new Set(Object.values(shopModels(connection)).map((model) => model.collection.collectionName))];
    console.log(`checking the text of ${collections.join(', ')} in "${dbName}"`);
    for (const collection of collections) {
      // Orders and idempotency keys hold copies (a product's name when it was ordered, a replayed
      // answer) that no API corrects: reported, but they do not fail the check.
      const correctable = CORRECTABLE.has(collection);
      const counted = { documents: 0 };
      let inCollection = 0;
      for await (const found of badTextIn(connection, collection, counted)) {
        console.log(`  ${found.collection} ${found.id} ${found.field}: ${found.problems.join(', ')} — "${found.preview}"`);
        if (correctable) badDocuments.add(`${found.collection} ${found.id}`);
        inCollection++;
      }
      console.log(`${collection}: ${counted.documents} documents, ${inCollection} bad values${correctable || inCollection === 0 ? '' : ' (copies kept as history: reported only)'}`);
      if (correctable) bad += inCollection;
    }
  } finally {
    await connection.close();
  }
  console.log(
    bad > 0 ? `${bad} bad values in ${badDocuments.size} documents; nothing was changed (correct them through the admin API)` : 'no bad text',
  );
  return bad;
}

try {
  process.exit((await check()) > 0 ? 1 : 0);
} catch (error) {
  console.error(`the check could not run: ${(error as Error).message}`);
  process.exit(2);
}
