package shop.standin.backend.h2;

import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.Map;

import org.h2.mvstore.WriteBuffer;
import org.h2.mvstore.type.BasicDataType;
import org.h2.mvstore.type.ObjectDataType;

import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.wire.bson.BsonDecoder;
import de.bwaldvogel.mongo.wire.bson.BsonEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * How a collection's documents and their keys are stored in the MVStore: as BSON, the format the
 * wire protocol already uses, instead of H2's default, Java serialization (decision 0002).
 *
 * <p>MVStore rewrites a whole page, every document in it, whenever one of them changes; with Java
 * serialization (a fresh ObjectOutputStream, class descriptors and reflection per document) that
 * was the stand-in's largest CPU cost under an order load.
 *
 * <p>Each stored value starts with {@link #BSON}, a byte H2's own format never starts with; any
 * other first byte is a value written by H2's {@link ObjectDataType} (stores written before this
 * format, and any value BSON cannot hold), which is read, and compared, as before. So an existing
 * store opens as it is, and its pages move to BSON as they are rewritten (every page, at the
 * compaction when the store next opens).
 */
final class BsonStoreTypes {

    /** The first byte of a BSON value. H2's ObjectDataType tags are 0–119. */
    static final byte BSON = (byte) 0xB5;

    private static final ThreadLocal<ByteBuf> BUFFERS = ThreadLocal.withInitial(() -> Unpooled.buffer(4096));

    private BsonStoreTypes() {
    }

    /** The value type of a collection's data map: its documents. */
    static final class Documents extends BasicDataType<Document> {

        static final Documents INSTANCE = new Documents();

        private final ObjectDataType legacy = new ObjectDataType();

        private Documents() {
        }

        @Override
        public int getMemory(Document document) {
            return estimate(document);
        }

        @Override
        public void write(WriteBuffer out, Document document) {
            if (!writeBson(out, document, true)) {
                legacy.write(out, document);
            }
        }

        @Override
        public Document read(ByteBuffer in) {
            if (in.get(in.position()) != BSON) {
                return (Document) legacy.read(in);
            }
            in.get();
            ByteBuf bytes = Unpooled.wrappedBuffer(in);
            Document document = BsonDecoder.decodeBson(bytes);
            in.position(in.position() + bytes.readerIndex());
            return document;
        }

        @Override
        public Document[] createStorage(int size) {
            return new Document[size];
        }
    }

    /**
     * The key type of a collection's data map: the documents' {@code _id} values. Ordered exactly as
     * H2's ObjectDataType orders them (the order of every page already stored); only the bytes differ.
     */
    static final class Keys extends BasicDataType<Object> {

        static final Keys INSTANCE = new Keys();

        private final ObjectDataType legacy = new ObjectDataType();

        private Keys() {
        }

        @Override
        public int compare(Object a, Object b) {
            return legacy.compare(a, b);
        }

        @Override
        public int getMemory(Object key) {
            return estimate(key);
        }

        @Override
        public void write(WriteBuffer out, Object key) {
            if (!writeBson(out, key, false)) {
                legacy.write(out, key);
            }
        }

        @Override
        public Object read(ByteBuffer in) {
            if (in.get(in.position()) != BSON) {
                return legacy.read(in);
            }
            in.get();
            ByteBuf bytes = Unpooled.wrappedBuffer(in);
            byte type = bytes.readByte();
            Object key = BsonDecoder.decodeValue(type, bytes);
            in.position(in.position() + bytes.readerIndex());
            return key;
        }

        @Override
        public Object[] createStorage(int size) {
            return new Object[size];
        }
    }

    /**
     * Writes {@link #BSON} and the value (a document, or one typed value) to {@code out}; false,
     * with nothing written, for a value BSON cannot hold.
     */
    private static boolean writeBson(WriteBuffer out, Object value, boolean document) {
        ByteBuf buffer = BUFFERS.get();
        buffer.clear();
        try {
            if (document) {
                BsonEncoder.encodeDocument((Document) value, buffer);
            } else {
                byte type = BsonEncoder.determineType(value);
                buffer.writeByte(type);
                BsonEncoder.encodeValue(type, value, buffer);
            }
        } catch (RuntimeException notBson) {
            return false;
        }
        out.put(BSON);
        out.put(buffer.nioBuffer());
        if (buffer.capacity() > 1 << 20) {
            BUFFERS.remove(); // a rare large document does not stay in every serializing thread
        }
        return true;
    }

    /** A cheap estimate of the heap a value takes, for MVStore's page cache accounting. */
    static int estimate(Object value) {
        if (value instanceof String string) {
            return 40 + string.length();
        }
        if (value instanceof Map<?, ?> map) {
            int size = 64;
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                size += 32 + estimate(entry.getKey()) + estimate(entry.getValue());
            }
            return size;
        }
        if (value instanceof Collection<?> collection) {
            int size = 40;
            for (Object element : collection) {
                size += 8 + estimate(element);
            }
            return size;
        }
        return 24;
    }
}
