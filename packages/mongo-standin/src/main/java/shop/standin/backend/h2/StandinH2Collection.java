package shop.standin.backend.h2;

import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.backend.h2.H2Collection;
import org.h2.mvstore.MVMap;
import de.bwaldvogel.mongo.bson.Document;
import shop.standin.backend.ExplainableCollection;
import shop.standin.backend.IndexedQueries;

/** mongo-java-server's H2 collection (documents in an MVStore map by _id), with queries planned over its secondary indexes. */
final class StandinH2Collection extends H2Collection implements ExplainableCollection {

    private final IndexedQueries<Object> queries = new IndexedQueries<>(new IndexedQueries.Storage<>() {
        @Override
        public List<Index<Object>> indexes() {
            return getIndexes();
        }

        @Override
        public Document document(Object position) {
            return getDocument(position);
        }

        @Override
        public QueryResult fromStream(Document query, Stream<Document> documents, int skip, int limit, int batchSize,
                                      Comparator<Document> comparator, Document projection) {
            return matchDocumentsFromStream(query, documents, skip, limit, batchSize, comparator, projection);
        }

        @Override
        public QueryResult scanAll(Document query, Document orderBy, int skip, int limit, int batchSize, Document projection) {
            return matchDocuments(query, orderBy, skip, limit, batchSize, projection);
        }
    });

    StandinH2Collection(MongoDatabase database, String collectionName, CollectionOptions options,
                        MVMap<Object, Document> dataMap, MVMap<String, Object> metaMap, CursorRegistry cursorRegistry) {
        super(database, collectionName, options, dataMap, metaMap, cursorRegistry);
    }

    @Override
    protected QueryResult queryDocuments(Document query, Document orderBy, int skip, int limit, int batchSize, Document projection) {
        return queries.query(query, orderBy, skip, limit, batchSize, projection);
    }

    @Override
    protected boolean documentMatchesQuery(Document document, Document query) {
        queries.documentExamined();
        return super.documentMatchesQuery(document, query);
    }

    @Override
    public synchronized IndexedQueries.Explained explain(Document filter, Document sort, int skip, int limit) {
        return queries.explain(filter, sort, skip, limit);
    }

    @Override
    public synchronized int count(Document query, int skip, int limit) {
        return super.count(query, skip, limit);
    }

    @Override
    public synchronized void addIndex(Index<Object> index) {
        super.addIndex(index);
    }

    @Override
    public synchronized void dropIndex(String indexName) {
        super.dropIndex(indexName);
    }
}
