package shop.standin.query;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.bson.Document;
import shop.standin.index.IndexEntry;
import shop.standin.index.OrderedIndex;

/**
 * Chooses how a query reads its collection, as MongoDB's planner would for the queries an
 * application sends:
 * <ul>
 * <li>equality on _id: point lookups in the _id index;</li>
 * <li>otherwise each ordered index whose key starts with fields the filter pins (equality or
 * {@code $in}), then optionally the query's sort fields, then one range field, is a candidate — a
 * partial index only when the filter implies its partialFilterExpression;</li>
 * <li>among candidates, a trial walk of each one's key intervals (up to {@value #TRIAL_KEYS} keys)
 * picks the one with fewest keys; ties go to the index that provides the sort, then to the one
 * pinning more fields, then to one with a range, then to the shorter key;</li>
 * <li>an {@code $or} whose branches all have an index is a union of their plans;</li>
 * <li>anything else is a collection scan.</li>
 * </ul>
 */
public final class QueryPlanner {

    /** Keys a trial walks at most per candidate. */
    static final int TRIAL_KEYS = 1000;
    /** Intervals an {@code $in} cross product may make before the planner pins fewer fields. */
    private static final int MAX_INTERVALS = 2000;

    private QueryPlanner() {
    }

    /** The candidate plans, best first; a single collection scan when no index serves. */
    public static <P> List<QueryPlan<P>> plans(List<Index<P>> indexes, Document filter, Document sort) {
        FieldConditions conditions = FieldConditions.of(filter);
        Map<String, Integer> sortKeys = sortKeys(sort);
        if (sortKeys == null) {
            return List.of(QueryPlan.collectionScan(false));
        }

        for (Index<P> index : indexes) {
            if (isIdIndex(index)) {
                List<Object> points = conditions.points("_id");
                if (points != null) {
                    return List.of(QueryPlan.idLookup(index, points, sortKeys.isEmpty() || points.size() == 1));
                }
            }
        }

        List<Candidate<P>> candidates = new ArrayList<>();
        for (Index<P> index : indexes) {
            if (index instanceof OrderedIndex<P> ordered) {
                QueryPlan<P> plan = indexScan(ordered, conditions, sortKeys);
                if (plan != null) {
                    candidates.add(new Candidate<>(plan));
                }
            }
        }
        if (candidates.isEmpty()) {
            QueryPlan<P> union = union(indexes, filter, conditions, sortKeys);
            return List.of(union != null ? union : QueryPlan.collectionScan(sortKeys.isEmpty()));
        }
        if (candidates.size() > 1) {
            for (Candidate<P> candidate : candidates) {
                candidate.trialKeys = trial(candidate.plan);
            }
        }
        boolean sorted = !sortKeys.isEmpty();
        candidates.sort(Comparator.<Candidate<P>>comparingLong(c -> c.trialKeys)
            .thenComparing(c -> sorted && c.plan.providesSort ? 0 : 1)
            .thenComparing(c -> -c.plan.equalityFields)
            .thenComparing(c -> c.plan.usesRange ? 0 : 1)
            .thenComparing(c -> c.plan.index.getKeys().size()));
        return candidates.stream().map(c -> c.plan).toList();
    }

    private static final class Candidate<P> {
        final QueryPlan<P> plan;
        long trialKeys;

        Candidate(QueryPlan<P> plan) {
            this.plan = plan;

        }
    }

    private static boolean isIdIndex(Index<?> index) {
        return !(index instanceof OrderedIndex) && index.getKeys().size() == 1 && index.getKeys().get(0).getKey().equals("_id");
    }

    /** The query's sort fields in order with their directions; null for a {@code $natural} sort, which only a collection scan gives. */
    private static Map<String, Integer> sortKeys(Document sort) {
        Map<String, Integer> keys = new LinkedHashMap<>();
        if (sort == null) {
            return keys;
        }
        for (Map.Entry<String, Object> entry : sort.entrySet()) {
            if (entry.getKey().equals("$natural")) {
                return null;
            }
            int direction = entry.getValue() instanceof Number n && n.doubleValue() < 0 ? -1 : 1;
            keys.put(entry.getKey(), direction);
        }
        return keys;
    }

    private static <P> QueryPlan<P> indexScan(OrderedIndex<P> index, FieldConditions conditions, Map<String, Integer> sortKeys) {
        if (index.partialFilter() != null && !index.partialFilter().impliedBy(conditions)) {
            return null;
        }
        List<IndexKey> keys = index.getKeys();
        Map<String, Supplier<List<String>>> bounds = QueryPlan.newBounds();

        // Equality prefix: the cross product of each pinned field's values.
        List<Object[]> prefixes = new ArrayList<>();
        prefixes.add(new Object[0]);
        int equality = 0;
        // A multikey index holds each document's values per field, not which element they came
        // from: bounds on two fields could each be met by a different element. Bound one field only.
        int boundable = index.isMultiKey() ? 1 : keys.size();
        for (IndexKey key : keys) {
            if (equality >= boundable) {
                break;
            }
            List<Object> points = conditions.points(key.getKey());
            if (points == null || (long) prefixes.size() * points.size() > MAX_INTERVALS) {
                break;
            }
            List<Object> ordered = new ArrayList<>(points);
            ordered.sort((a, b) -> index.compareField(keys.indexOf(key), a, b));
            List<Object[]> extended = new ArrayList<>();
            for (Object[] prefix : prefixes) {
                for (Object point : ordered) {
                    extended.add(append(prefix, point));
                }
            }
            prefixes = extended;
            bounds.put(key.getKey(), () -> ordered.stream().map(v -> "[" + QueryPlan.show(v) + ", " + QueryPlan.show(v) + "]").toList());
            equality++;
        }

        // Then one range field, on the next key field.
        Range range = null;
        boolean ascending = true;
        if (equality < boundable) {
            IndexKey next = keys.get(equality);
            ascending = next.isAscending();
            range = conditions.range(next.getKey(), index.isMultiKey());
            if (range != null) {
                Range shown = range;
                bounds.put(next.getKey(), () -> List.of(describe(shown)));
            }
        }

        List<IndexEntry[]> intervals = new ArrayList<>();
        for (Object[] prefix : prefixes) {
            intervals.add(interval(prefix, range, ascending));
        }

        int direction = providedDirection(index, equality, prefixes.size(), sortKeys);
        boolean providesSort = direction != 0;
        if (equality == 0 && range == null && (sortKeys.isEmpty() || !providesSort)) {
            return null;
        }
        // A sparse index lacks the documents without its fields: only a bound on one proves the
        // query cannot match those (MongoDB never sorts with one either).
        if (index.isSparseOption() && equality == 0 && range == null) {
            return null;
        }
        return QueryPlan.indexScan(index, intervals, bounds, direction < 0, providesSort, equality, range != null);
    }

    /**
     * +1 when walking the index forward gives the sort order, -1 when walking it backward does, 0
     * when it cannot. The pinned prefix must be one interval and no indexed field may hold arrays;
     * then each sort field is either one of the pinned fields (all entries share its value) or the
     * next key field after the prefix, all in the key's directions or all reversed.
     */
    private static int providedDirection(OrderedIndex<?> index, int equality, int intervals, Map<String, Integer> sortKeys) {
        if (sortKeys.isEmpty()) {
            return 1;
        }
        if (intervals != 1 || index.isMultiKey()) {
            return 0;
        }
        List<IndexKey> keys = index.getKeys();
        List<String> pinned = keys.subList(0, equality).stream().map(IndexKey::getKey).toList();
        int direction = 0;
        int next = equality;
        for (Map.Entry<String, Integer> sortKey : sortKeys.entrySet()) {
            if (pinned.contains(sortKey.getKey())) {
                continue;
            }
            if (next >= keys.size() || !keys.get(next).getKey().equals(sortKey.getKey())) {
                return 0;
            }
            IndexKey key = keys.get(next++);
            int same = (key.isAscending() ? 1 : -1) == sortKey.getValue() ? 1 : -1;
            if (direction != 0 && same != direction) {
                return 0;
            }
            direction = same;
        }
        return direction == 0 ? 1 : direction;
    }

    /** The bounds of one interval in index order: the pinned prefix, then the range on the next field. */
    static IndexEntry[] interval(Object[] prefix, Range range, boolean ascending) {
        IndexEntry start = IndexEntry.bound(prefix, -1);
        IndexEntry end = IndexEntry.bound(prefix, 1);
        if (range == null) {
            return new IndexEntry[] {start, end};
        }
        IndexEntry valueLow = range.low() == null ? null
            : IndexEntry.bound(append(prefix, range.low()), ascending == range.lowInclusive() ? -1 : 1);
        IndexEntry valueHigh = range.high() == null ? null
            : IndexEntry.bound(append(prefix, range.high()), ascending == range.highInclusive() ? 1 : -1);
        if (ascending) {
            return new IndexEntry[] {valueLow != null ? valueLow : start, valueHigh != null ? valueHigh : end};
        }
        return new IndexEntry[] {valueHigh != null ? valueHigh : start, valueLow != null ? valueLow : end};
    }

    private static Object[] append(Object[] prefix, Object value) {
        Object[] longer = java.util.Arrays.copyOf(prefix, prefix.length + 1);
        longer[prefix.length] = value;
        return longer;
    }

    private static String describe(Range range) {
        return (range.low() == null ? "[MinKey" : (range.lowInclusive() ? "[" : "(") + QueryPlan.show(range.low())) + ", "
            + (range.high() == null ? "MaxKey]" : QueryPlan.show(range.high()) + (range.highInclusive() ? "]" : ")"));
    }

    /** Keys the plan would walk, up to {@link #TRIAL_KEYS}. */
    private static <P> long trial(QueryPlan<P> plan) {
        ScanStats stats = new ScanStats();
        Iterator<P> positions = plan.positions(stats);
        while (stats.keysExamined < TRIAL_KEYS && positions.hasNext()) {
            positions.next();
        }
        return stats.keysExamined;
    }

    /** A union of index plans, one per {@code $or} branch (each with the rest of the filter), when every branch has one. */
    private static <P> QueryPlan<P> union(List<Index<P>> indexes, Document filter, FieldConditions conditions, Map<String, Integer> sortKeys) {
        if (!conditions.hasOr()) {
            return null;
        }
        List<QueryPlan<P>> branches = new ArrayList<>();
        for (Document branch : conditions.orBranches()) {
            QueryPlan<P> plan = plans(indexes, conditions.withBranch(filter, branch), null).get(0);
            if (plan.isCollectionScan()) {
                return null;
            }
            branches.add(plan);
        }
        return QueryPlan.union(branches, sortKeys.isEmpty());
    }
}
