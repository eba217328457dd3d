package shop.standin.backend;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import de.bwaldvogel.mongo.backend.DocumentComparator;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.bson.Document;
import shop.standin.query.QueryPlan;
import shop.standin.query.QueryPlanner;
import shop.standin.query.ScanStats;

/**
 * The query path of a stand-in collection: plans each query ({@link QueryPlanner}), reads the
 * chosen index lazily, fetches and matches documents, and sorts only when the index does not give
 * the order — so a sorted query with a limit stops after the documents it returns. Also answers
 * explain with MongoDB's plan shape and the counts of keys and documents read.
 *
 * <p>Shared by the memory and H2 collections (both keep their upstream storage); each hands in
 * what only it can do through {@link Storage}. Runs under the collection's lock.
 */
public final class IndexedQueries<P> {

    /** What a collection gives its query path. */
    public interface Storage<P> {
        List<Index<P>> indexes();

        Document document(P position);

        /** Filters, sorts (when {@code comparator} is not null), skips, limits and projects. */
        QueryResult fromStream(Document query, Stream<Document> documents, int skip, int limit, int batchSize,
                               Comparator<Document> comparator, Document projection);

        /** The upstream collection scan. */
        QueryResult scanAll(Document query, Document orderBy, int skip, int limit, int batchSize, Document projection);
    }

    private final Storage<P> storage;
    private ScanStats active;

    public IndexedQueries(Storage<P> storage) {
        this.storage = storage;
    }

    /** Counts a document the matcher read, while explain measures an execution. */
    public void documentExamined() {
        if (active != null) {
            active.docsExamined++;
        }
    }

    public QueryResult query(Document filter, Document orderBy, int skip, int limit, int batchSize, Document projection) {
        QueryPlan<P> plan = QueryPlanner.plans(storage.indexes(), filter, orderBy).get(0);
        return run(plan, filter, orderBy, skip, limit, batchSize, projection, active != null ? active : new ScanStats());
    }

    private QueryResult run(QueryPlan<P> plan, Document filter, Document orderBy, int skip, int limit, int batchSize,
                            Document projection, ScanStats stats) {
        if (plan.isCollectionScan()) {
            return storage.scanAll(filter, orderBy, skip, limit, batchSize, projection);
        }
        Iterator<P> positions = plan.positions(stats);
        Stream<Document> documents = StreamSupport.stream(Spliterators.spliteratorUnknownSize(positions, 0), false)
            .map(storage::document)
            .filter(Objects::nonNull);
        Comparator<Document> comparator = plan.providesSort() || orderBy == null || orderBy.isEmpty() ? null : new DocumentComparator(orderBy);
        return storage.fromStream(filter, documents, skip, limit, batchSize, comparator, projection);
    }

    /**
     * Plans and runs the query, counting what it reads, and describes it as MongoDB's explain does
     * (queryPlanner, executionStats). Reads only: what runs here is the query part of a command.
     */
    public Explained explain(Document filter, Document orderBy, int skip, int limit) {
        List<QueryPlan<P>> plans = QueryPlanner.plans(storage.indexes(), filter, orderBy);
        QueryPlan<P> winner = plans.get(0);
        ScanStats stats = new ScanStats();
        long started = System.nanoTime();
        long returned = 0;
        active = stats;
        try {
            for (Document ignored : run(winner, filter, orderBy, skip, limit, 0, null, stats)) {
                returned++;
            }
        } finally {
            active = null;
        }
        long millis = (System.nanoTime() - started) / 1_000_000;
        List<Document> rejected = new ArrayList<>();
        for (QueryPlan<P> plan : plans.subList(1, plans.size())) {
            rejected.add(stages(plan, filter, orderBy, skip, limit));
        }
        return new Explained(stages(winner, filter, orderBy, skip, limit), rejected, returned, stats, millis);
    }

    /** The plan as MongoDB's stage tree: LIMIT / SKIP / SORT / FETCH over the reading stage. */
    private Document stages(QueryPlan<P> plan, Document filter, Document orderBy, int skip, int limit) {
        Document stage = plan.describe(filter);
        if (!plan.isCollectionScan()) {
            stage = new Document("stage", "FETCH").append("filter", filter).append("inputStage", stage);
        }
        if (orderBy != null && !orderBy.isEmpty() && !plan.providesSort()) {
            stage = new Document("stage", "SORT").append("sortPattern", orderBy).append("inputStage", stage);
        }
        if (skip > 0) {
            stage = new Document("stage", "SKIP").append("skipAmount", skip).append("inputStage", stage);
        }
        if (limit > 0) {
            stage = new Document("stage", "LIMIT").append("limitAmount", limit).append("inputStage", stage);
        }
        return stage;
    }

    /** An explained execution: the winning plan's stages, the others, and what the run read. */
    public record Explained(Document winningPlan, List<Document> rejectedPlans, long returned, ScanStats stats, long millis) {
    }
}
