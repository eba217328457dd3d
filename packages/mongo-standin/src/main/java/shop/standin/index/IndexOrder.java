package shop.standin.index;

import java.util.Comparator;
import java.util.List;

import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.ValueComparator;

/**
 * The order of an {@link OrderedIndex}: field by field with MongoDB's comparison order (numbers
 * across their types, then strings, objects, …), each field ascending or descending as declared,
 * then by storage position so that equal keys of different documents are distinct entries.
 */
final class IndexOrder implements Comparator<IndexEntry> {

    private final Comparator<Object>[] fields;

    @SuppressWarnings("unchecked")
    IndexOrder(List<IndexKey> keys) {
        this.fields = keys.stream()
            .map(key -> key.isAscending() ? ValueComparator.asc() : ValueComparator.desc())
            .toArray(Comparator[]::new);
    }

    @Override
    public int compare(IndexEntry a, IndexEntry b) {
        int common = Math.min(a.values.length, b.values.length);
        for (int i = 0; i < common; i++) {
            int c = fields[i].compare(a.values[i], b.values[i]);
            if (c != 0) {
                return c;
            }
        }
        if (a.side != 0 || b.side != 0) {
            // A bound sorts before (-1) or after (+1) everything sharing its prefix.
            return Integer.compare(a.side, b.side);
        }
        return ValueComparator.asc().compare(a.position, b.position);
    }

    /** Compares one value of field {@code field} the way the index orders it. */
    int compareField(int field, Object a, Object b) {
        return fields[field].compare(a, b);
    }
}
