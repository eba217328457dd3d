package shop.standin.index;

import java.util.List;
import java.util.Map;
import java.util.Map.Entry;
import java.util.concurrent.ConcurrentHashMap;

import de.bwaldvogel.mongo.backend.AbstractUniqueIndex;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.backend.Missing;

/**
 * The _id index of a persisted collection, held in memory (a hash map, as the memory backend's)
 * and rebuilt from the documents when the collection opens. H2's own kept it in an MVStore map
 * keyed by {@link KeyValue}, which H2 can only order by serializing both keys on every comparison:
 * each insert, update and delete paid for that, and wrote the map to disk besides.
 */
public final class IdIndex<P> extends AbstractUniqueIndex<P> {

    private final Map<KeyValue, Object> positions = new ConcurrentHashMap<>();

    public IdIndex(String name, List<IndexKey> keys, boolean sparse) {
        super(name, keys, sparse);
    }

    @Override
    public long getCount() {
        return positions.size();
    }

    @Override
    public boolean isEmpty() {
        return positions.isEmpty();
    }

    @Override
    public long getDataSize() {
        return getCount();
    }

    @Override
    @SuppressWarnings("unchecked")
    protected P removeDocument(KeyValue keyValue) {
        return (P) positions.remove(keyValue);
    }

    @Override
    protected boolean putKeyPosition(KeyValue keyValue, P position) {
        return positions.putIfAbsent(keyValue, Missing.ofNullable(position)) == null;
    }

    @Override
    @SuppressWarnings("unchecked")
    protected P getPosition(KeyValue keyValue) {
        return (P) positions.get(keyValue);
    }

    @Override
    @SuppressWarnings("unchecked")
    protected Iterable<Entry<KeyValue, P>> getIterable() {
        return (Iterable<Entry<KeyValue, P>>) (Iterable<?>) positions.entrySet();
    }
}
