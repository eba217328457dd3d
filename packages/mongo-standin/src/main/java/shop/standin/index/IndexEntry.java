package shop.standin.index;

import java.util.Arrays;

/**
 * One key of an {@link OrderedIndex} (the key values of one document, and where that document is),
 * or a bound used to seek in it: a prefix of key values and a side, which places the bound just
 * before (-1) or just after (+1) every entry starting with that prefix.
 */
public final class IndexEntry {

    final Object[] values;
    final Object position;
    final Object id;
    final int side;

    private IndexEntry(Object[] values, Object position, Object id, int side) {
        this.values = values;
        this.position = position;
        this.id = id;
        this.side = side;
    }

    static IndexEntry of(Object[] values, Object position, Object id) {
        return new IndexEntry(values, position, id, 0);
    }

    /** A seek bound: before (-1) or after (+1) every entry whose first values are {@code prefix}. */
    public static IndexEntry bound(Object[] prefix, int side) {
        if (side != -1 && side != 1) {
            throw new IllegalArgumentException("side must be -1 or +1");
        }
        return new IndexEntry(prefix, null, null, side);
    }

    /** Where the document is in its collection (its storage position). */
    public Object position() {
        return position;
    }

    @Override
    public String toString() {
        return Arrays.toString(values) + (side == 0 ? "@" + position : side < 0 ? "-" : "+");
    }
}
