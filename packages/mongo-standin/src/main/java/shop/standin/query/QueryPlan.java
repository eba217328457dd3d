package shop.standin.query;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.function.Supplier;

import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.bson.Json;
import shop.standin.index.IndexEntry;
import shop.standin.index.OrderedIndex;

/**
 * How one query reads its collection: a collection scan, point lookups in the _id index, a walk of
 * key intervals of an {@link OrderedIndex}, or the union of such plans for the branches of an
 * {@code $or}. A plan yields storage positions; the caller fetches and matches the documents.
 */
public final class QueryPlan<P> {

    enum Kind { COLLSCAN, ID_LOOKUP, INDEX_SCAN, OR }

    final Kind kind;
    final Index<P> index;
    final List<Object> idValues;
    final List<IndexEntry[]> intervals;
    final Map<String, Supplier<List<String>>> bounds;
    final boolean reverse;
    final boolean providesSort;
    final int equalityFields;
    final boolean usesRange;
    final List<QueryPlan<P>> branches;

    private QueryPlan(Kind kind, Index<P> index, List<Object> idValues, List<IndexEntry[]> intervals,
                      Map<String, Supplier<List<String>>> bounds, boolean reverse, boolean providesSort,
                      int equalityFields, boolean usesRange, List<QueryPlan<P>> branches) {
        this.kind = kind;
        this.index = index;
        this.idValues = idValues;
        this.intervals = intervals;
        this.bounds = bounds;
        this.reverse = reverse;
        this.providesSort = providesSort;
        this.equalityFields = equalityFields;
        this.usesRange = usesRange;
        this.branches = branches;
    }

    static <P> QueryPlan<P> collectionScan(boolean sortFree) {
        return new QueryPlan<>(Kind.COLLSCAN, null, null, null, null, false, sortFree, 0, false, List.of());
    }

    static <P> QueryPlan<P> idLookup(Index<P> idIndex, List<Object> values, boolean sortFree) {
        Map<String, Supplier<List<String>>> bounds = Map.of("_id", () -> values.stream().map(v -> "[" + show(v) + ", " + show(v) + "]").toList());
        return new QueryPlan<>(Kind.ID_LOOKUP, idIndex, values, null, bounds, false, sortFree, 1, false, List.of());
    }

    static <P> QueryPlan<P> indexScan(OrderedIndex<P> index, List<IndexEntry[]> intervals, Map<String, Supplier<List<String>>> bounds,
                                      boolean reverse, boolean providesSort, int equalityFields, boolean usesRange) {
        return new QueryPlan<>(Kind.INDEX_SCAN, index, null, intervals, bounds, reverse, providesSort, equalityFields, usesRange, List.of());
    }

    static <P> QueryPlan<P> union(List<QueryPlan<P>> branches, boolean sortFree) {
        return new QueryPlan<>(Kind.OR, null, null, null, null, false, sortFree, 0, false, branches);
    }

    static String show(Object value) {
        return value == null ? "null" : Json.toCompactJsonValue(value);
    }

    public boolean isCollectionScan() {
        return kind == Kind.COLLSCAN;
    }

    /** True when the positions come in the query's sort order, so no sort is needed and a limit stops the walk early. */
    public boolean providesSort() {
        return providesSort;
    }

    /** The index this plan reads, or null (collection scan, or a union). */
    public Index<P> index() {
        return index;
    }

    /** The storage positions to fetch, each once, read lazily as the caller consumes them. */
    public Iterator<P> positions(ScanStats stats) {
        return switch (kind) {
            case COLLSCAN -> throw new IllegalStateException("a collection scan has no positions");
            case ID_LOOKUP -> idPositions(stats);
            case INDEX_SCAN -> scanPositions(stats);
            case OR -> unionPositions(stats);
        };
    }

    private Iterator<P> idPositions(ScanStats stats) {
        Object query = idValues.size() == 1 ? idValues.get(0) : new Document("$in", idValues);
        List<P> found = new ArrayList<>();
        for (P position : index.getPositions(new Document("_id", query))) {
            found.add(position);
        }
        stats.keysExamined += found.size();
        return found.iterator();
    }

    @SuppressWarnings("unchecked")
    private Iterator<P> scanPositions(ScanStats stats) {
        OrderedIndex<P> ordered = (OrderedIndex<P>) index;
        List<IndexEntry[]> walk = new ArrayList<>(intervals);
        if (reverse) {
            Collections.reverse(walk);
        }
        Set<Object> seen = ordered.isMultiKey() ? new HashSet<>() : null;
        return new Iterator<>() {
            private int interval = 0;
            private Iterator<IndexEntry> current = Collections.emptyIterator();
            private P next;

            @Override
            public boolean hasNext() {
                while (next == null) {
                    while (!current.hasNext()) {
                        if (interval >= walk.size()) {
                            return false;
                        }
                        IndexEntry[] bounds = walk.get(interval++);
                        current = ordered.scan(bounds[0], bounds[1], reverse);
                    }
                    IndexEntry entry = current.next();
                    stats.keysExamined++;
                    P position = (P) entry.position();
                    if (seen == null || seen.add(position)) {
                        next = position;
                    }
                }
                return true;
            }

            @Override
            public P next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                P result = next;
                next = null;
                return result;
            }
        };
    }

    private Iterator<P> unionPositions(ScanStats stats) {
        Set<P> seen = new HashSet<>();
        List<P> all = new ArrayList<>();
        for (QueryPlan<P> branch : branches) {
            Iterator<P> positions = branch.positions(stats);
            while (positions.hasNext()) {
                P position = positions.next();
                if (seen.add(position)) {
                    all.add(position);
                }
            }
        }
        return all.iterator();
    }

    /** The plan in the shape of MongoDB's explain output: the stage that reads (IXSCAN, OR, COLLSCAN). */
    public Document describe(Document filter) {
        return switch (kind) {
            case COLLSCAN -> new Document("stage", "COLLSCAN").append("filter", filter).append("direction", "forward");
            case ID_LOOKUP, INDEX_SCAN -> describeIndexScan();
            case OR -> new Document("stage", "OR").append("inputStages", branches.stream().map(b -> b.describe(filter)).toList());
        };
    }

    private Document describeIndexScan() {
        Document keyPattern = new Document();
        for (IndexKey key : index.getKeys()) {
            keyPattern.put(key.getKey(), key.isAscending() ? 1 : -1);
        }
        OrderedIndex<P> ordered = index instanceof OrderedIndex<P> o ? o : null;
        Document description = new Document("stage", "IXSCAN")
            .append("keyPattern", keyPattern)
            .append("indexName", index.getName())
            .append("isMultiKey", ordered != null && ordered.isMultiKey())
            .append("isUnique", index.isUnique())
            .append("isPartial", ordered != null && ordered.partialFilter() != null)
            .append("direction", reverse ? "backward" : "forward");
        Document indexBounds = new Document();
        for (IndexKey key : index.getKeys()) {
            Supplier<List<String>> shown = bounds.get(key.getKey());
            indexBounds.put(key.getKey(), shown != null ? shown.get() : List.of("[MinKey, MaxKey]"));
        }
        description.put("indexBounds", indexBounds);
        return description;
    }

    /** For explain's rejectedPlans and logs: the index name, or the stage. */
    @Override
    public String toString() {
        return kind == Kind.COLLSCAN || kind == Kind.OR ? kind.name() : "IXSCAN " + index.getName();
    }

    /** Bounds as explain shows them, per field: built only when a plan is described, not for every query. */
    static Map<String, Supplier<List<String>>> newBounds() {
        return new LinkedHashMap<>();
    }
}
