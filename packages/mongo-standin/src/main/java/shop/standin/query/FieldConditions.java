package shop.standin.query;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import de.bwaldvogel.mongo.backend.ValueComparator;
import de.bwaldvogel.mongo.bson.Document;
import shop.standin.index.Values;

/**
 * A query filter read field by field, for choosing an index: the conditions on each field (from the
 * top level and from {@code $and}), and the branches of a top-level {@code $or}. What this reads
 * only narrows which index keys are visited; every document found is still matched against the
 * whole filter, so a bound may cover more than the filter does, never less.
 */
public final class FieldConditions {

    private final Map<String, List<Object>> byField = new LinkedHashMap<>();
    private final List<Document> orBranches = new ArrayList<>();

    private FieldConditions() {
    }

    public static FieldConditions of(Document filter) {
        FieldConditions conditions = new FieldConditions();
        if (filter != null) {
            conditions.read(filter, true);
        }
        return conditions;
    }

    /** Reads conditions; only a top-level {@code $or} becomes branches (one inside {@code $and} bounds nothing). */
    private void read(Document filter, boolean topLevel) {
        for (Map.Entry<String, Object> entry : filter.entrySet()) {
            String key = entry.getKey();
            Object value = entry.getValue();
            if (key.equals("$and") && value instanceof Collection<?> clauses) {
                for (Object clause : clauses) {
                    if (clause instanceof Document document) {
                        read(document, false);
                    }
                }
            } else if (key.equals("$or") && topLevel && value instanceof Collection<?> branches) {
                for (Object branch : branches) {
                    orBranches.add(branch instanceof Document document ? document : new Document());
                }
            } else if (!key.startsWith("$")) {
                byField.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
            }
        }
    }

    public Map<String, List<Object>> byField() {
        return byField;
    }

    public List<Object> conditions(String field) {
        return byField.getOrDefault(field, List.of());
    }

    public boolean hasOr() {
        return !orBranches.isEmpty();
    }

    public List<Document> orBranches() {
        return orBranches;
    }

    /** The filter without its {@code $or}, with one branch's conditions added. */
    public Document withBranch(Document filter, Document branch) {
        Document merged = new Document();
        for (Map.Entry<String, Object> entry : filter.entrySet()) {
            if (!entry.getKey().equals("$or")) {
                merged.put(entry.getKey(), entry.getValue());
            }
        }
        List<Object> and = new ArrayList<>();
        if (merged.containsKey("$and")) {
            and.addAll((Collection<?>) merged.get("$and"));
        }
        and.add(branch);
        merged.put("$and", and);
        return merged;
    }

    /**
     * The values the field must equal (one of), normalized and distinct in ascending order, or null
     * when no condition pins it: {@code field: v}, {@code {$eq: v}} or {@code {$in: [...]}}.
     */
    public List<Object> points(String field) {
        for (Object condition : conditions(field)) {
            List<Object> points = pointsOf(condition);
            if (points != null) {
                return points;
            }
        }
        return null;
    }

    private static List<Object> pointsOf(Object condition) {
        if (!Values.isOperatorObject(condition)) {
            return Values.isPointValue(condition) ? List.of(Values.normalize(condition)) : null;
        }
        Document operators = (Document) condition;
        Object eq = operators.get("$eq");
        if (operators.containsKey("$eq") && Values.isPointValue(eq)) {
            return List.of(Values.normalize(eq));
        }
        // An empty $in matches nothing: no values, so no keys to read.
        if (operators.get("$in") instanceof Collection<?> in && in.stream().allMatch(Values::isPointValue)) {
            Set<Object> distinct = new java.util.TreeSet<>(ValueComparator.asc());
            for (Object value : in) {
                distinct.add(Values.normalize(value));
            }
            return new ArrayList<>(distinct);
        }
        return null;
    }

    /**
     * The range the field must be in, or null when no condition bounds it. With {@code oneCondition}
     * (a multikey field, where each condition may be met by a different array element) the bounds
     * come from a single condition and a single side; otherwise all conditions intersect.
     */
    public Range range(String field, boolean oneCondition) {
        Object low = null;
        Object high = null;
        boolean lowInclusive = true;
        boolean highInclusive = true;
        for (Object condition : conditions(field)) {
            if (!Values.isOperatorObject(condition)) {
                continue;
            }
            for (Map.Entry<String, Object> operator : ((Document) condition).entrySet()) {
                Object operand = operator.getValue();
                if (!Values.isPointValue(operand)) {
                    continue;
                }
                Object value = Values.normalize(operand);
                switch (operator.getKey()) {
                    case "$gt", "$gte" -> {
                        boolean inclusive = operator.getKey().equals("$gte");
                        int c = low == null ? 1 : ValueComparator.asc().compare(value, low);
                        if (c > 0 || (c == 0 && !inclusive)) {
                            low = value;
                            lowInclusive = inclusive;
                        }
                    }
                    case "$lt", "$lte" -> {
                        boolean inclusive = operator.getKey().equals("$lte");
                        int c = high == null ? -1 : ValueComparator.asc().compare(value, high);
                        if (c < 0 || (c == 0 && !inclusive)) {
                            high = value;
                            highInclusive = inclusive;
                        }
                    }
                    default -> {
                    }
                }
                if (oneCondition && (low != null || high != null)) {
                    return low != null ? new Range(low, lowInclusive, null, true) : new Range(null, true, high, highInclusive);
                }
            }
        }
        return low == null && high == null ? null : new Range(low, lowInclusive, high, highInclusive);
    }
}
