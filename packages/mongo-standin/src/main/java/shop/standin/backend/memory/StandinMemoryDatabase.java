package shop.standin.backend.memory;

import java.util.List;

import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.DatabaseResolver;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.memory.MemoryDatabase;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.oplog.Oplog;
import io.netty.channel.Channel;
import shop.standin.backend.IndexDescriptions;
import shop.standin.backend.StandinCommands;

/** mongo-java-server's memory database with ordered secondary indexes, a planner and explain. */
final class StandinMemoryDatabase extends MemoryDatabase {

    StandinMemoryDatabase(String databaseName, CursorRegistry cursorRegistry) {
        super(databaseName, cursorRegistry);
    }

    @Override
    protected StandinMemoryCollection openOrCreateCollection(String collectionName, CollectionOptions options) {
        return new StandinMemoryCollection(this, collectionName, options, cursorRegistry);
    }

    @Override
    protected Index<Integer> openOrCreateUniqueIndex(String collectionName, String indexName, List<IndexKey> keys, boolean sparse) {
        if (IndexDescriptions.isIdIndex(keys)) {
            return super.openOrCreateUniqueIndex(collectionName, indexName, keys, sparse);
        }
        return IndexDescriptions.orderedIndex(getFullCollectionNamespace(collectionName), indexName, keys, sparse, true, getOrCreateIndexesCollection());
    }

    @Override
    protected Index<Integer> openOrCreateSecondaryIndex(String collectionName, String indexName, List<IndexKey> keys, boolean sparse) {
        return IndexDescriptions.orderedIndex(getFullCollectionNamespace(collectionName), indexName, keys, sparse, false, getOrCreateIndexesCollection());
    }

    @Override
    protected void addIndex(Document indexDescription) {
        IndexDescriptions.creating(indexDescription, () -> super.addIndex(indexDescription));
    }

    @Override
    public Document handleCommand(Channel channel, String command, Document query, DatabaseResolver resolver, Oplog oplog) {
        Document answer = StandinCommands.handle(this, command, query, resolver, oplog);
        return answer != null ? answer : super.handleCommand(channel, command, query, resolver, oplog);
    }
}
