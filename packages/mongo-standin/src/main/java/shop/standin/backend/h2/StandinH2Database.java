package shop.standin.backend.h2;

import java.util.List;

import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.DatabaseResolver;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.h2.H2Database;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.oplog.Oplog;
import io.netty.channel.Channel;
import shop.standin.backend.IndexDescriptions;
import shop.standin.backend.StandinCommands;
import shop.standin.index.IdIndex;

/**
 * mongo-java-server's H2 database with ordered secondary indexes, a planner and explain. Documents
 * stay in the MVStore (one map per collection, keyed by _id); every index, the _id index and unique
 * ones too, lives in memory and is rebuilt from the documents when the database opens, so a write
 * stores the document only.
 */
final class StandinH2Database extends H2Database {

    /** The store, while the super constructor opens collections (before this class's fields are set). */
    private static final ThreadLocal<MVStore> OPENING = new ThreadLocal<>();

    private MVStore store;

    private StandinH2Database(String databaseName, MVStore store, CursorRegistry cursorRegistry) {
        super(databaseName, store, cursorRegistry);
        this.store = store;
    }

    static StandinH2Database open(String databaseName, MVStore store, CursorRegistry cursorRegistry) {
        OPENING.set(store);
        try {
            return new StandinH2Database(databaseName, store, cursorRegistry);
        } finally {
            OPENING.remove();
        }
    }

    private MVStore store() {
        return store != null ? store : OPENING.get();
    }

    @Override
    protected MongoCollection<Object> openOrCreateCollection(String collectionName, CollectionOptions options) {
        String fullName = getFullCollectionNamespace(collectionName);
        // Documents and keys as BSON (BsonStoreTypes); upstream's own later openMap calls of this
        // name (drop, rename) get this same open map.
        MVMap<Object, Document> dataMap = store().openMap("databases." + fullName,
            new MVMap.Builder<Object, Document>().keyType(BsonStoreTypes.Keys.INSTANCE).valueType(BsonStoreTypes.Documents.INSTANCE));
        MVMap<String, Object> metaMap = store().openMap("meta." + fullName);
        return new StandinH2Collection(this, collectionName, options, dataMap, metaMap, cursorRegistry);
    }

    @Override
    protected Index<Object> openOrCreateUniqueIndex(String collectionName, String indexName, List<IndexKey> keys, boolean sparse) {
        dropLegacyIndexMap(collectionName, indexName);
        if (IndexDescriptions.isIdIndex(keys)) {
            return new IdIndex<>(indexName, keys, sparse);
        }
        return IndexDescriptions.orderedIndex(getFullCollectionNamespace(collectionName), indexName, keys, sparse, true, getOrCreateIndexesCollection());
    }

    @Override
    protected Index<Object> openOrCreateSecondaryIndex(String collectionName, String indexName, List<IndexKey> keys, boolean sparse) {
        return IndexDescriptions.orderedIndex(getFullCollectionNamespace(collectionName), indexName, keys, sparse, false, getOrCreateIndexesCollection());
    }

    /** A store written by upstream's H2 backend has each unique index as a map: indexes live in memory now. */
    private void dropLegacyIndexMap(String collectionName, String indexName) {
        String legacyMap = getFullCollectionNamespace(collectionName) + "._index_" + indexName;
        if (store().hasMap(legacyMap)) {
            store().removeMap(legacyMap);
        }
    }

    @Override
    protected void dropIndex(MongoCollection<Object> collection, String indexName) {
        collection.dropIndex(indexName);
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
