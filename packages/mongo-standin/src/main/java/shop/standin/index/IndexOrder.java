package shop.standin.index;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;

import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.ValueComparator;
import de.bwaldvogel.mongo.bson.ObjectId;

/**
 * The order of an {@link OrderedIndex}: field by field with MongoDB's comparison order (numbers
 * across their types, then strings, objects, …), each field ascending or descending as declared,
 * then by storage position so that equal keys of different documents are distinct entries.
 */
final class IndexOrder implements Comparator<IndexEntry> {

    private final boolean[] ascending;

    IndexOrder(List<IndexKey> keys) {
        this.ascending = new boolean[keys.size()];
        for (int i = 0; i < ascending.length; i++) {
            ascending[i] = keys.get(i).isAscending();
        }
    }

    /**
     * MongoDB's order of two key values, as {@link ValueComparator#asc()} gives it; the types an
     * index mostly holds (numbers normalized to Double, strings, ObjectIds, dates, booleans) are
     * compared directly, which the profile of building and updating indexes asked for: the generic
     * comparator looks each value's type up in a list on every comparison.
     */
    static int compareValues(Object a, Object b) {
        if (a != null && b != null && a.getClass() == b.getClass()) {
            if (a instanceof Double x) {
                return Double.compare(x, (Double) b);
            }
            if (a instanceof String x) {
                return x.compareTo((String) b);
            }
            if (a instanceof ObjectId x) {
                return x.compareTo((ObjectId) b);
            }
            if (a instanceof Instant x) {
                return x.compareTo((Instant) b);
            }
            if (a instanceof Boolean x) {
                return Boolean.compare(x, (Boolean) b);
            }
            if (a instanceof Integer x) {
                return Integer.compare(x, (Integer) b);
            }
        }
        return ValueComparator.asc().compare(a, b);
    }

    @Override
    public int compare(IndexEntry a, IndexEntry b) {
        int common = Math.min(a.values.length, b.values.length);
        for (int i = 0; i < common; i++) {
            int c = compareField(i, a.values[i], b.values[i]);
            if (c != 0) {
                return c;
            }
        }
        if (a.side != 0 || b.side != 0) {
            // A bound sorts before (-1) or after (+1) everything sharing its prefix.
            return Integer.compare(a.side, b.side);
        }
        return compareValues(a.position, b.position);
    }

    /** Compares one value of field {@code field} the way the index orders it. */
    int compareField(int field, Object a, Object b) {
        int c = compareValues(a, b);
        return ascending[field] ? c : -c;
    }
}
