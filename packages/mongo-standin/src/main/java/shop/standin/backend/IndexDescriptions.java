package shop.standin.backend;

import java.util.List;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.bson.Document;
import shop.standin.index.OrderedIndex;

/**
 * Builds the stand-in's secondary indexes from their descriptions. mongo-java-server hands an index
 * factory only the name, keys and sparse flag; the whole description (with
 * {@code partialFilterExpression}) is taken from {@link #creating} while createIndexes runs, or from
 * the database's system.indexes collection when a persisted database reopens.
 */
public final class IndexDescriptions {

    private static final ThreadLocal<Document> CREATING = new ThreadLocal<>();

    private IndexDescriptions() {
    }

    /** Runs {@code addIndex} with {@code description} visible to the index factory. */
    public static void creating(Document description, Runnable addIndex) {
        // Nested: creating an index may create its collection, which adds the _id index first.
        Document outer = CREATING.get();
        CREATING.set(description);
        try {
            addIndex.run();
        } finally {
            if (outer == null) {
                CREATING.remove();
            } else {
                CREATING.set(outer);
            }
        }
    }

    /** True for the _id index, which stays mongo-java-server's own (it gives each document's position). */
    public static boolean isIdIndex(List<IndexKey> keys) {
        return keys.size() == 1 && keys.get(0).getKey().equals("_id");
    }

    public static <P> Index<P> orderedIndex(String namespace, String indexName, List<IndexKey> keys, boolean sparse, boolean unique,
                                            MongoCollection<P> indexesCollection) {
        Document description = description(namespace, indexName, indexesCollection);
        Object partial = description == null ? null : description.get("partialFilterExpression");
        return new OrderedIndex<>(indexName, keys, unique, sparse, partial instanceof Document document ? document : null);
    }

    private static <P> Document description(String namespace, String indexName, MongoCollection<P> indexesCollection) {
        Document creating = CREATING.get();
        if (creating != null && indexName.equals(creating.get("name"))) {
            return creating;
        }
        if (indexesCollection == null) {
            return null;
        }
        for (Document stored : indexesCollection.handleQuery(new Document("ns", namespace).append("name", indexName))) {
            return stored;
        }
        return null;
    }
}
