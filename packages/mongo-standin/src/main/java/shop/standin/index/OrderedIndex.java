package shop.standin.index;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.backend.Utils;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.DuplicateKeyError;
import de.bwaldvogel.mongo.exception.KeyConstraintError;

/**
 * A secondary index kept in key order, as MongoDB's B-tree indexes are: single-field or compound,
 * each field ascending or descending, multikey (one entry per array element), sparse, partial
 * ({@code partialFilterExpression}) and unique. It lives in memory and is built from the documents
 * when the collection opens, so a persisted store writes only documents.
 *
 * <p>mongo-java-server calls every method with the collection's lock held
 * ({@code AbstractSynchronizedMongoCollection}); the maps are concurrent only so that statistics
 * read without that lock see a consistent size.
 *
 * <p>Lookups go through {@link #scan}; {@link #canHandle} answers false so that the upstream
 * collection code never picks this index on its own (the stand-in's planner does).
 */
public final class OrderedIndex<P> extends Index<P> {

    private final boolean unique;
    private final boolean sparse;
    private final PartialFilter partialFilter;
    private final IndexOrder order;
    private final ConcurrentSkipListMap<IndexEntry, P> entries;
    /** Each indexed document's entries, by its normalized _id: what to remove when it changes. */
    private final Map<Object, List<IndexEntry>> entriesById = new ConcurrentHashMap<>();
    private volatile boolean multiKey;

    public OrderedIndex(String name, List<IndexKey> keys, boolean unique, boolean sparse, Document partialFilterExpression) {
        super(name, keys, sparse);
        this.unique = unique;
        this.sparse = sparse;
        this.partialFilter = partialFilterExpression == null ? null : new PartialFilter(partialFilterExpression);
        this.order = new IndexOrder(keys);
        this.entries = new ConcurrentSkipListMap<>(order);
    }

    @Override
    public boolean isUnique() {
        return unique;
    }

    /**
     * True: a document may have no entry here (partial or sparse index, or an empty array in an
     * indexed field), and the collection must then accept that removal finds none.
     */
    @Override
    protected boolean isSparse() {
        return true;
    }

    /** The index's {@code sparse} option (not a partial filter). */
    public boolean isSparseOption() {
        return sparse;
    }

    public PartialFilter partialFilter() {
        return partialFilter;
    }

    /** True once any document had an array (or no value at all, an empty array) in an indexed field. */
    public boolean isMultiKey() {
        return multiKey;
    }

    @Override
    public boolean hasSameOptions(Index<?> other) {
        if (!(other instanceof OrderedIndex<?> that)) {
            return false;
        }
        // Normalized: the same filter may come back from the store with other number types (0 vs 0.0).
        return sparse == that.sparse && unique == that.unique
            && Objects.equals(partialFilter == null ? null : Values.normalize(partialFilter.expression()),
                that.partialFilter == null ? null : Values.normalize(that.partialFilter.expression()));
    }

    /** True when this index holds entries for {@code document}. */
    private boolean holds(Document document) {
        if (partialFilter != null && !partialFilter.matches(document)) {
            return false;
        }
        if (sparse) {
            return keys().stream().anyMatch(key -> !(Utils.getSubdocumentValueCollectionAware(document, key) instanceof de.bwaldvogel.mongo.backend.Missing));
        }
        return true;
    }

    private List<IndexEntry> entriesOf(Document document, Object position) {
        if (!holds(document)) {
            return List.of();
        }
        Object id = idOf(document);
        List<Object[]> keyValues = keyValuesOf(document);
        List<IndexEntry> result = new ArrayList<>(keyValues.size());
        for (Object[] values : keyValues) {
            result.add(IndexEntry.of(values, position, id));
        }
        return result;
    }

    /**
     * The document's keys: one for scalar fields, one per array element (and combination) for a
     * multikey index, none for an empty array. Scalars take a direct path; arrays go through
     * mongo-java-server's {@code getKeyValues}, which also rejects parallel arrays.
     */
    private List<Object[]> keyValuesOf(Document document) {
        List<IndexKey> keys = getKeys();
        Object[] values = new Object[keys.size()];
        for (int i = 0; i < values.length; i++) {
            String key = keys.get(i).getKey();
            // A top-level field is a map lookup; upstream's path walk splits every key with a regex.
            Object value = key.indexOf('.') < 0 ? document.get(key) : Utils.getSubdocumentValueCollectionAware(document, key);
            if (value instanceof Collection) {
                multiKey = true;
                getKeyValues(document); // rejects parallel arrays, as MongoDB does
                return expand(document, keys);
            }
            values[i] = Values.normalize(value);
        }
        List<Object[]> single = new ArrayList<>(1);
        single.add(values);
        return single;
    }

    /**
     * Multikey keys: every combination of each field's values, an array giving each element and an
     * empty array the key null (MongoDB indexes it as undefined), so that no document is left
     * without entries. A superset of MongoDB's keys when two fields lie in one array; the planner
     * bounds only one field of a multikey index, so scans stay correct.
     */
    private static List<Object[]> expand(Document document, List<IndexKey> keys) {
        List<Object[]> combinations = new ArrayList<>();
        combinations.add(new Object[keys.size()]);
        for (int i = 0; i < keys.size(); i++) {
            Object value = Utils.getSubdocumentValueCollectionAware(document, keys.get(i).getKey());
            List<Object> choices = new ArrayList<>();
            if (value instanceof Collection<?> collection) {
                for (Object element : collection) {
                    choices.add(Values.normalize(element));
                }
                if (choices.isEmpty()) {
                    choices.add(null);
                }
            } else {
                choices.add(Values.normalize(value));
            }
            List<Object[]> next = new ArrayList<>();
            for (Object[] combination : combinations) {
                for (Object choice : new java.util.LinkedHashSet<>(choices)) {
                    Object[] copy = combination.clone();
                    copy[i] = choice;
                    next.add(copy);
                }
            }
            combinations = next;
        }
        return combinations;
    }

    private static Object idOf(Document document) {
        return Values.normalize(document.get("_id"));
    }

    @Override
    public P getPosition(Document document) {
        List<IndexEntry> held = entriesById.get(idOf(document));
        return held == null || held.isEmpty() ? null : entries.get(held.get(0));
    }

    @Override
    public void checkAdd(Document document, MongoCollection<P> collection) {
        checkUnique(document, collection);
    }

    @Override
    public void add(Document document, P position, MongoCollection<P> collection) {
        List<IndexEntry> added = entriesOf(document, position);
        if (added.isEmpty()) {
            return;
        }
        if (unique) {
            checkUnique(added.get(0).id, added.stream().map(entry -> entry.values).toList(), collection);
        }
        for (IndexEntry entry : added) {
            entries.put(entry, position);
        }
        entriesById.put(idOf(document), added);
    }

    @Override
    public P remove(Document document) {
        List<IndexEntry> held = entriesById.remove(idOf(document));
        if (held == null || held.isEmpty()) {
            return null;
        }
        P position = null;
        for (IndexEntry entry : held) {
            P removed = entries.remove(entry);
            position = removed != null ? removed : position;
        }
        return position;
    }

    @Override
    public void checkUpdate(Document oldDocument, Document newDocument, MongoCollection<P> collection) {
        checkUnique(newDocument, collection);
    }

    @Override
    public void updateInPlace(Document oldDocument, Document newDocument, P position, MongoCollection<P> collection) throws KeyConstraintError {
        Object id = idOf(newDocument);
        List<IndexEntry> replacing = entriesOf(newDocument, position);
        List<IndexEntry> held = entriesById.getOrDefault(id, List.of());
        if (sameKeys(held, replacing)) {
            return;
        }
        for (IndexEntry entry : held) {
            entries.remove(entry);
        }
        for (IndexEntry entry : replacing) {
            entries.put(entry, position);
        }
        if (replacing.isEmpty()) {
            entriesById.remove(id);
        } else {
            entriesById.put(id, replacing);
        }
    }

    private boolean sameKeys(List<IndexEntry> a, List<IndexEntry> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (order.compare(a.get(i), b.get(i)) != 0) {
                return false;
            }
        }
        return true;
    }

    /** For a unique index: throws E11000 when another document already has one of this document's keys. */
    private void checkUnique(Document document, MongoCollection<P> collection) {
        if (!holds(document)) {
            return;
        }
        if (!unique || entries.isEmpty()) {
            // Still rejects what MongoDB cannot index (parallel arrays), before anything is written.
            keyValuesOf(document);
            return;
        }
        checkUnique(idOf(document), keyValuesOf(document), collection);
    }

    private void checkUnique(Object id, List<Object[]> keyValues, MongoCollection<P> collection) {
        for (Object[] values : keyValues) {
            for (IndexEntry other : entries.subMap(IndexEntry.bound(values, -1), IndexEntry.bound(values, 1)).keySet()) {
                if (!Objects.equals(other.id, id)) {
                    throw new DuplicateKeyError(this, collection, getKeys(), new KeyValue(java.util.Arrays.asList(values)));
                }
            }
        }
    }

    /** The entries from {@code low} to {@code high} (bounds made by {@link IndexEntry#bound}), in index order or reversed. */
    public Iterator<IndexEntry> scan(IndexEntry low, IndexEntry high, boolean reverse) {
        if (order.compare(low, high) > 0) {
            return java.util.Collections.emptyIterator();
        }
        NavigableMap<IndexEntry, P> range = entries.subMap(low, true, high, true);
        return (reverse ? range.descendingMap() : range).keySet().iterator();
    }

    /** Compares two values of field {@code field} in this index's order (descending fields reversed). */
    public int compareField(int field, Object a, Object b) {
        return order.compareField(field, a, b);
    }

    @Override
    public boolean canHandle(Document query) {
        return false;
    }

    @Override
    public Iterable<P> getPositions(Document query) {
        throw new UnsupportedOperationException("an OrderedIndex is read through the stand-in's planner");
    }

    @Override
    public long getCount() {
        return entries.size();
    }

    @Override
    public long getDataSize() {
        return getCount() * 48L;
    }

    @Override
    public void drop() {
        entries.clear();
        entriesById.clear();
    }

    @Override
    public Document toIndexDescription() {
        Document description = super.toIndexDescription();
        if (!sparse) {
            description.remove("sparse");
        }
        if (partialFilter != null) {
            description.put("partialFilterExpression", partialFilter.expression());
        }
        return description;
    }
}
