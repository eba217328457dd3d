package shop.standin.index;

import java.util.List;
import java.util.Map;
import java.util.Objects;

import de.bwaldvogel.mongo.backend.DefaultQueryMatcher;
import de.bwaldvogel.mongo.backend.QueryMatcher;
import de.bwaldvogel.mongo.backend.ValueComparator;
import de.bwaldvogel.mongo.bson.Document;
import shop.standin.query.FieldConditions;
import shop.standin.query.Range;

/**
 * A partial index's {@code partialFilterExpression}: which documents the index holds, and whether a
 * query implies it (only then may the index serve the query, as in MongoDB). Implication is proven
 * field by field, for the forms MongoDB's planner proves: the same condition, an equality, or a
 * range inside the filter's range, and {@code $exists: true} by any equality or range.
 */
public final class PartialFilter {

    private static final QueryMatcher MATCHER = new DefaultQueryMatcher();

    private final Document expression;

    public PartialFilter(Document expression) {
        this.expression = Objects.requireNonNull(expression);
    }

    public Document expression() {
        return expression;
    }

    /** True when the index holds {@code document}. */
    public boolean matches(Document document) {
        return MATCHER.matches(document, expression);
    }

    /** True when every document matching {@code query} matches this filter. */
    public boolean impliedBy(FieldConditions query) {
        // Only field conditions (and $and of them) are proven; $or, $nor, $expr… never count as implied.
        if (expression.keySet().stream().anyMatch(key -> key.startsWith("$") && !key.equals("$and"))) {
            return false;
        }
        FieldConditions required = FieldConditions.of(expression);
        for (Map.Entry<String, List<Object>> field : required.byField().entrySet()) {
            for (Object condition : field.getValue()) {
                if (!implied(field.getKey(), condition, query)) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean implied(String field, Object condition, FieldConditions query) {
        List<Object> given = query.conditions(field);
        if (given.stream().anyMatch(c -> Objects.equals(Values.normalize(c), Values.normalize(condition)))) {
            return true;
        }
        if (!Values.isOperatorObject(condition)) {
            return Values.isPointValue(condition) && singlePoint(query, field, Values.normalize(condition));
        }
        Document operators = (Document) condition;
        for (Map.Entry<String, Object> operator : operators.entrySet()) {
            if (!impliedOperator(field, operator.getKey(), operator.getValue(), query)) {
                return false;
            }
        }
        return true;
    }

    private static boolean singlePoint(FieldConditions query, String field, Object value) {
        List<Object> points = query.points(field);
        return points != null && points.size() == 1 && ValueComparator.asc().compare(points.get(0), value) == 0;
    }

    private static boolean impliedOperator(String field, String operator, Object operand, FieldConditions query) {
        List<Object> points = query.points(field);
        Range range = query.range(field, false);
        switch (operator) {
            case "$eq":
                return Values.isPointValue(operand) && singlePoint(query, field, Values.normalize(operand));
            case "$exists":
                return Boolean.TRUE.equals(operand) && (points != null || range != null);
            case "$gt", "$gte", "$lt", "$lte": {
                if (!Values.isPointValue(operand)) {
                    return false;
                }
                Object bound = Values.normalize(operand);
                if (points != null) {
                    return points.stream().allMatch(p -> satisfies(p, true, operator, bound));
                }
                if (range == null) {
                    return false;
                }
                boolean lower = operator.startsWith("$g");
                Object value = lower ? range.low() : range.high();
                boolean inclusive = lower ? range.lowInclusive() : range.highInclusive();
                return value != null && satisfies(value, inclusive, operator, bound);
            }
            default:
                return false;
        }
    }

    /** True when every value at {@code value} (or just beside it, when not inclusive) satisfies {@code operator bound}. */
    private static boolean satisfies(Object value, boolean inclusive, String operator, Object bound) {
        if (ValueComparatorTypes.differ(value, bound)) {
            return false;
        }
        int c = ValueComparator.asc().compare(value, bound);
        return switch (operator) {
            case "$gt" -> c > 0 || (c == 0 && !inclusive);
            case "$gte" -> c >= 0;
            case "$lt" -> c < 0 || (c == 0 && !inclusive);
            default -> c <= 0;
        };
    }
}
